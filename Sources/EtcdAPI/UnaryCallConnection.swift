import NIOCore
import NIOHPACK
import NIOPosix

/// Why a unary gRPC call failed: the server's status, or the connection's end.
public enum UnaryCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with a non-zero grpc-status (etcd's errors arrive this way).
    case status(code: Int, message: String)
    /// The stream was reset, the connection closed or went away before the answer.
    case connection(String)

    public var description: String {
        switch self {
        case .status(let code, let message): "grpc-status \(code): \(message)"
        case .connection(let why): "connection: \(why)"
        }
    }
}

/// One HTTP/2 connection that carries gRPC unary calls, many at once, each on its own stream.
/// This is what `rafttop bench --endpoints` puts with, so it must cost little next to the
/// server it measures: it speaks HTTP/2 on the socket's bytes itself (`UnaryCallHandler`), with
/// no stream state machines, channels or tasks per call. A call is a HEADERS frame whose header
/// block is encoded once per path and a DATA frame; an answer is up to three frames back. The
/// answers that one read brings are handled together, and the calls they start go out in one
/// write.
///
/// Go's gRPC server (etcd) sends a PING with nearly every answer to estimate the link's
/// bandwidth-delay product; each is simply acknowledged.
public final class UnaryCallConnection: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<UnaryCallHandler>

    private init(channel: any Channel, handler: NIOLoopBound<UnaryCallHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Opens a plaintext HTTP/2 connection to `host:port`.
    public static func connect(host: String, port: Int,
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> UnaryCallConnection {
        let authority = "\(host):\(port)"
        let channel = try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UnaryCallHandler(authority: authority))
                }
            }
            .connect(host: host, port: port)
            .get()
        // A server that ends the connection as it opens (a handshake timeout, a connection
        // limit) has already torn the pipeline down, and the handler is no longer in it.
        let handler = try? await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: UnaryCallHandler.self), eventLoop: channel.eventLoop)
        }.get()
        guard let handler else {
            try? await channel.close()
            throw UnaryCallError.connection("\(authority) closed the connection as it opened")
        }
        return UnaryCallConnection(channel: channel, handler: handler)
    }

    /// Calls `path` (e.g. `/etcdserverpb.KV/Put`) with one serialized request message and returns
    /// the serialized response message; a server that has not answered within `timeout` fails
    /// the call.
    public func call(path: String, message: [UInt8], timeout: Duration = .seconds(10)) async throws(UnaryCallError) -> [UInt8] {
        do {
            return try await call(path: path, message: message, timeout: timeout).get()
        } catch let error as UnaryCallError {
            throw error
        } catch {
            throw .connection("\(error)")
        }
    }

    /// The same call, answered on the connection's event loop: callbacks on the future run
    /// there, so a caller that sends its next call from one pays no thread hand-over. It fails
    /// with a `UnaryCallError`.
    public func call(path: String, message: [UInt8], timeout: Duration = .seconds(10)) -> EventLoopFuture<[UInt8]> {
        let eventLoop = channel.eventLoop
        let wait = TimeAmount(timeout)
        let call = UnaryCall(path: path, message: message, timeout: wait, deadline: .now() + wait, answer: eventLoop.makePromise())
        if eventLoop.inEventLoop {
            handler.value.start(call)
        } else {
            let handler = handler
            eventLoop.execute { handler.value.start(call) }
        }
        return call.answer.futureResult
    }

    /// The event loop the connection's I/O and answers run on.
    public var eventLoop: any EventLoop { channel.eventLoop }

    /// Closes the connection; calls still waiting fail.
    public func close() async {
        try? await channel.close()
    }
}

/// A call on its way to the handler.
struct UnaryCall: Sendable {
    var path: String
    var message: [UInt8]
    var timeout: TimeAmount
    var deadline: NIODeadline
    var answer: EventLoopPromise<[UInt8]>

    var expired: UnaryCallError { .connection("no answer within \(timeout.nanoseconds / 1_000_000) ms") }
}
