import Locking
import NIOCore
import NIOPosix

/// A member's public gRPC port: accepts HTTP/2 connections, up to `FrontLimits.maxConnections`,
/// and serves each with a `FrontConnectionHandler` (unary KV calls answered directly, the rest
/// relayed to the member's full gRPC server at `backend`, a socket only this process's user can
/// reach); a client that speaks HTTP/1.1 instead gets /metrics, /health and /version.
final class FrontServer: Sendable {
    private let channel: any Channel
    private let connections: Locked<[ObjectIdentifier: any Channel]>
    let stats: FrontStats

    private init(channel: any Channel, connections: Locked<[ObjectIdentifier: any Channel]>, stats: FrontStats) {
        self.channel = channel
        self.connections = connections
        self.stats = stats
    }

    /// Binds `host:port` (port 0: one the system chooses).
    /// `http1` answers a client that speaks HTTP/1.1, held to the gateway's limits.
    static func bind(host: String, port: Int, routes: UnaryKVRoutes, requestBytesMax: Int, limits: FrontLimits,
                     backend: SocketAddress, http1: (endpoints: OperatorEndpoints, limits: GatewayLimits)) async throws -> FrontServer {
        let connections = Locked<[ObjectIdentifier: any Channel]>([:])
        let stats = FrontStats()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let key = ObjectIdentifier(channel)
                let admitted = connections.withLock { open in
                    guard open.count < limits.maxConnections else { return false }
                    open[key] = channel
                    return true
                }
                guard admitted else {
                    // A failed initializer closes the connection before anything is read from it.
                    stats.connectionRefused()
                    return channel.eventLoop.makeFailedFuture(TooManyConnections())
                }
                channel.closeFuture.whenComplete { _ in _ = connections.withLock { $0.removeValue(forKey: key) } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrontConnectionHandler(routes: routes, requestBytesMax: requestBytesMax, limits: limits, backend: backend,
                                               stats: stats, http1: http1))
                }
            }
            .bind(host: host, port: port)
            .get()
        return FrontServer(channel: channel, connections: connections, stats: stats)
    }

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

    private struct TooManyConnections: Error {}
}

/// What a front server's connections hold and how they ended, from the handlers' own counts:
/// how an operator or a test sees that a hostile client was held to its bounds.
public struct FrontConnectionReport: Sendable, Equatable {
    /// The connection's number on its port, from 1 in the order accepted.
    public var number: Int
    /// Bytes held for the connection, as last counted: read and not yet handled, request bodies
    /// not yet handed on, answers waiting for the client's window or its socket.
    public var heldBytes = 0
    /// The most it ever held.
    public var heldBytesMax = 0
    /// Of `heldBytes`, the answers waiting for the client's windows: past
    /// `FrontLimits.writeQuotaBytes` of them, new calls are refused.
    public var answerBytesQueued = 0
    public var openStreams = 0
    /// The GOAWAY the server sent, if it sent one: its error code and debug text.
    public var goAwayCode: UInt32?
    /// The client spoke HTTP/1.1 and was handed to `FrontHTTP1Handler` (/metrics, /health,
    /// /version); the report ends there, but for `closed`.
    public var http1 = false
    public var goAwayReason: String?
    public var closed = false

    /// The GOAWAY code's name (ENHANCE_YOUR_CALM, ...), if one was sent.
    public var goAwayName: String? { goAwayCode.map(HTTP2Wire.errorName) }
}

/// Reports of a port's live connections and its most recently closed ones.
final class FrontStats: Sendable {
    private struct State {
        var nextNumber = 1
        var live: [Int: FrontConnectionReport] = [:]
        var closed: [FrontConnectionReport] = []
        var refused = 0
    }

    /// Closed connections whose reports are kept.
    static let closedKept = 256

    private let state = Locked(State())

    func opened() -> Int {
        state.withLock { s in
            defer { s.nextNumber += 1 }
            s.live[s.nextNumber] = FrontConnectionReport(number: s.nextNumber)
            return s.nextNumber
        }
    }

    func update(_ number: Int, _ change: (inout FrontConnectionReport) -> Void) {
        state.withLock { s in
            guard s.live[number] != nil else { return }
            change(&s.live[number]!)
        }
    }

    func closed(_ number: Int) {
        state.withLock { s in
            guard var report = s.live.removeValue(forKey: number) else { return }
            report.closed = true
            report.openStreams = 0
            s.closed.append(report)
            if s.closed.count > Self.closedKept { s.closed.removeFirst(s.closed.count - Self.closedKept) }
        }
    }

    func connectionRefused() {
        state.withLock { $0.refused += 1 }
    }

    /// Every live connection's report and the kept closed ones, in the order accepted.
    var reports: [FrontConnectionReport] {
        state.withLock { s in (s.closed + s.live.values).sorted { $0.number < $1.number } }
    }

    /// Connections closed as they were accepted, for being over `FrontLimits.maxConnections`.
    var refusedConnections: Int { state.withLock { $0.refused } }
}
