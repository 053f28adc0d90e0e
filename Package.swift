// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "rafttop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rafttop", targets: ["rafttop"]),
        .library(name: "Raft", targets: ["Raft"]),
        .library(name: "WAL", targets: ["WAL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .target(name: "Raft"),
        .target(name: "WAL", dependencies: ["Raft"]),
        .target(name: "MVCC", dependencies: ["Raft"]),
        .target(name: "Server", dependencies: ["Raft", "WAL", "MVCC"]),
        .target(
            name: "Cluster",
            dependencies: ["Raft", "WAL", "MVCC", "Server", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // The checker and the cluster simulation stand apart from Cluster: they only use its public
        // API, like any client would, and a library of their own keeps them out of the way of the
        // cluster's own code and lets tests and `rafttop check` share them.
        .target(name: "Check", dependencies: ["Raft", "WAL", "MVCC", "Server", "Cluster"]),
        .executableTarget(
            name: "rafttop",
            dependencies: [
                "Raft", "WAL", "MVCC", "Server", "Cluster", "Check",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RaftTests", dependencies: ["Raft"]),
        .testTarget(name: "WALTests", dependencies: ["WAL", "Raft"]),
        .testTarget(name: "MVCCTests", dependencies: ["MVCC"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "WAL", "MVCC", "Raft"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Server", "WAL", "MVCC", "Raft"]),
        .testTarget(name: "CheckTests", dependencies: ["Check", "Cluster", "Server", "MVCC", "Raft"]),
        .testTarget(name: "FuzzTests", dependencies: ["Raft", "WAL", "MVCC", "Server"]),
        // Runs the built `rafttop` binary as a person would.
        .testTarget(name: "CLITests", dependencies: ["rafttop"]),
    ],
    swiftLanguageModes: [.v6]
)
