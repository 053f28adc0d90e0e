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
    ],
    targets: [
        .target(name: "Raft"),
        .target(name: "WAL", dependencies: ["Raft"]),
        .executableTarget(
            name: "rafttop",
            dependencies: [
                "Raft",
                "WAL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "RaftTests", dependencies: ["Raft"]),
        .testTarget(name: "WALTests", dependencies: ["WAL", "Raft"]),
    ],
    swiftLanguageModes: [.v6]
)
