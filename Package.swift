// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "rafttop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rafttop", targets: ["rafttop"]),
        .library(name: "Raft", targets: ["Raft"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "Raft"),
        .target(name: "MVCC", dependencies: ["Raft"]),
        .target(name: "Server", dependencies: ["Raft", "MVCC"]),
        .target(
            name: "Cluster",
            dependencies: ["Raft", "MVCC", "Server", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .target(
            name: "TUI",
            dependencies: [
                "CNcurses", "Raft", "MVCC", "Server", "Cluster",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "rafttop",
            dependencies: [
                "Raft", "MVCC", "Server", "Cluster", "TUI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RaftTests", dependencies: ["Raft"]),
        .testTarget(name: "MVCCTests", dependencies: ["MVCC"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "MVCC", "Raft"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Server", "MVCC", "Raft"]),
        .testTarget(
            name: "TUITests",
            dependencies: ["TUI", "Cluster", "Server", "MVCC", "Raft", .product(name: "Logging", package: "swift-log")],
            exclude: ["Screens"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
