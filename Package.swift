// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "rafttop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rafttop", targets: ["rafttop"]),
        .library(name: "Raft", targets: ["Raft"]),
        .library(name: "RaftSimulation", targets: ["RaftSimulation"]),
        .library(name: "WAL", targets: ["WAL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // 4.5.2, not 3.12.3: swift-certificates (through grpc) accepts either, and 4.x names the
        // PBKDF2 module CryptoExtras.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "ByteCoding"),
        .target(name: "Raft", dependencies: ["ByteCoding"]),
        // The deterministic fault-injection simulator of a Raft group, and the crash report that
        // names the seed it was on: tests and `rafttop check raft` use it, Raft's users need not.
        .target(name: "RaftSimulation", dependencies: ["Raft"]),
        .target(name: "Locking"),
        .target(name: "WAL", dependencies: ["ByteCoding", "Raft", "Locking"]),
        .target(name: "MVCC", dependencies: ["ByteCoding"]),
        .target(
            name: "Server",
            dependencies: [
                "ByteCoding", "Raft", "Locking", "WAL", "MVCC",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "Cluster",
            dependencies: [
                "Raft", "Locking", "WAL", "MVCC", "Server", "CThreads",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .systemLibrary(name: "CThreads", path: "Sources/CThreads"),
        .target(
            name: "EtcdAPI",
            dependencies: [
                "Raft", "Locking", "MVCC", "Server", "Cluster",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .target(
            name: "TUI",
            dependencies: [
                "CNcurses", "Locking", "Cluster",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        // The checker and the cluster simulation stand apart from Cluster: they only use its public
        // API, like any client would, and a library of their own keeps them out of the way of the
        // cluster's own code and lets tests and `rafttop check` share them.
        .target(name: "Check", dependencies: ["Raft", "Locking", "WAL", "MVCC", "Server", "Cluster"]),
        .executableTarget(
            name: "rafttop",
            dependencies: [
                "Raft", "Locking", "WAL", "MVCC", "Server", "Cluster", "EtcdAPI", "TUI", "Check", "RaftSimulation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ByteCodingTests", dependencies: ["ByteCoding"]),
        .testTarget(name: "RaftTests", dependencies: ["ByteCoding", "Raft", "RaftSimulation"]),
        .testTarget(name: "WALTests", dependencies: ["WAL", "ByteCoding", "Raft"]),
        .testTarget(name: "MVCCTests", dependencies: ["MVCC", "ByteCoding"]),
        // One real etcd for the tests that need it (enabled only where etcd is installed).
        .target(name: "RealEtcdSupport", path: "Tests/RealEtcdSupport"),
        .testTarget(name: "ServerTests", dependencies: ["Server", "WAL", "MVCC", "ByteCoding", "Raft", "RealEtcdSupport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Server", "WAL", "MVCC", "Raft"]),
        .testTarget(name: "CheckTests", dependencies: ["Check", "Cluster", "Server", "MVCC", "Raft"]),
        .testTarget(name: "FuzzTests", dependencies: ["Check", "Raft", "WAL", "MVCC", "Server"]),
        // Runs the built `rafttop` binary as a person would.
        .testTarget(name: "CLITests", dependencies: ["rafttop", "RealEtcdSupport"]),
        .testTarget(
            name: "EtcdAPITests",
            dependencies: [
                "EtcdAPI", "Check", "Cluster", "Server", "MVCC", "Raft", "Locking", "RealEtcdSupport",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TUITests",
            dependencies: ["TUI", "Cluster", "Locking", .product(name: "Logging", package: "swift-log")],
            exclude: ["Screens"],
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
