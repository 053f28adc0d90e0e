import Locking
import NIOCore
import NIOPosix

/// A member's public gRPC port: accepts HTTP/2 connections and serves each with a
/// `FrontConnectionHandler` (unary KV calls answered directly, the rest relayed to the member's
/// full gRPC server at `backend`).
final class FrontServer: Sendable {
    private let channel: any Channel
    private let connections: Locked<[ObjectIdentifier: any Channel]>

    private init(channel: any Channel, connections: Locked<[ObjectIdentifier: any Channel]>) {
        self.channel = channel
        self.connections = connections
    }

    /// Binds `host:port` (port 0: one the system chooses).
    static func bind(host: String, port: Int, routes: UnaryKVRoutes, requestBytesMax: Int, backend: SocketAddress) async throws -> FrontServer {
        let connections = Locked<[ObjectIdentifier: any Channel]>([:])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let key = ObjectIdentifier(channel)
                connections.withLock { $0[key] = channel }
                channel.closeFuture.whenComplete { _ in _ = connections.withLock { $0.removeValue(forKey: key) } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrontConnectionHandler(routes: routes, requestBytesMax: requestBytesMax, backend: backend))
                }
            }
            .bind(host: host, port: port)
            .get()
        return FrontServer(channel: channel, connections: connections)
    }

    /// The window each client stream starts with.
    static let streamWindowBytes = 1 << 20

    var port: Int? { channel.localAddress?.port }

    /// Accepts connections until the task is cancelled, then closes the listener and every
    /// connection it accepted.
    func serve() async throws {
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
        } onCancel: {
            close()
        }
    }

    private func close() {
        channel.close(promise: nil)
        for connection in connections.withLock({ Array($0.values) }) { connection.close(promise: nil) }
    }
}
