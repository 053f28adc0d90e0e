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
    ],
    targets: [
        .target(name: "Raft"),
        .target(name: "MVCC", dependencies: ["Raft"]),
        .target(name: "Server", dependencies: ["Raft", "MVCC"]),
        .executableTarget(
            name: "rafttop",
            dependencies: [
                "Raft",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RaftTests", dependencies: ["Raft"]),
        .testTarget(name: "MVCCTests", dependencies: ["MVCC"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "MVCC", "Raft"]),
    ],
    swiftLanguageModes: [.v6]
)
