import NIOCore
import NIOHPACK
import NIOHTTP2
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

/// One HTTP/2 connection that carries gRPC unary calls, many at once, each on its own stream,
/// with no task or stream channel per call: a call is two frames out (headers, then the
/// length-prefixed message) and up to three back (headers, message, trailers). This is what
/// `rafttop bench --endpoints` puts with, so the client costs little next to the server it
/// measures.
///
/// Go's gRPC server (etcd) sends a PING with nearly every answer to estimate the link's
/// bandwidth-delay product; NIO's default guard against control-frame floods (200 in 30 s) would
/// take that for an attack and close the connection, so the limit here is raised far above what
/// a well-behaved server sends.
public final class UnaryCallConnection: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Opens a plaintext HTTP/2 connection to `host:port`.
    public static func connect(host: String, port: Int,
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> UnaryCallConnection {
        let authority = "\(host):\(port)"
        let channel = try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var connection = NIOHTTP2Handler.ConnectionConfiguration()
                    connection.controlFrameRateLimit.maximumCount = 1_000_000
                    connection.controlFrameRateLimit.windowLength = .seconds(1)
                    connection.initialSettings = [
                        HTTP2Setting(parameter: .enablePush, value: 0),
                        HTTP2Setting(parameter: .initialWindowSize, value: UnaryCallHandler.streamWindowBytes),
                        HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
                    ]
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOHTTP2Handler(mode: .client, connectionConfiguration: connection))
                    try sync.addHandler(UnaryCallHandler(authority: authority))
                }
            }
            .connect(host: host, port: port)
            .get()
        return UnaryCallConnection(channel: channel)
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
        let answer = channel.eventLoop.makePromise(of: [UInt8].self)
        let wait = TimeAmount(timeout)
        let deadline = channel.eventLoop.scheduleTask(in: wait) {
            answer.fail(UnaryCallError.connection("no answer within \(wait.nanoseconds / 1_000_000) ms"))
        }
        answer.futureResult.whenComplete { _ in deadline.cancel() }
        // A write the channel refuses (it has closed) never reaches the handler: fail the call here.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { answer.fail(UnaryCallError.connection("\($0)")) }
        channel.writeAndFlush(UnaryCall(path: path, message: message, answer: answer), promise: written)
        return answer.futureResult
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
    var answer: EventLoopPromise<[UInt8]>
}

/// Turns calls into frames on fresh client streams and frames back into answers.
final class UnaryCallHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundIn = UnaryCall
    typealias OutboundOut = HTTP2Frame

    /// The stream window this side announces; a stream's window is topped up at half of it.
    static let streamWindowBytes = 1 << 20

    private struct Pending {
        var answer: EventLoopPromise<[UInt8]>
        var body: [UInt8] = []
        var unackedBytes = 0
        var status: Int?
        var message = ""
    }

    private let authority: String
    private var nextStreamID = HTTP2StreamID(1)
    private var pending: [HTTP2StreamID: Pending] = [:]
    /// Set once the connection can take no new calls, with the reason.
    private var closedReason: String?
    private var connectionWindow = ReceiveWindow()

    init(authority: String) {
        self.authority = authority
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        if let closedReason {
            call.answer.fail(UnaryCallError.connection(closedReason))
            promise?.succeed()
            return
        }
        guard Int32(nextStreamID) <= Int32.max - 2 else {
            call.answer.fail(UnaryCallError.connection("this connection has used all its stream IDs; open a new one"))
            promise?.succeed()
            return
        }
        let id = nextStreamID
        nextStreamID = HTTP2StreamID(Int32(id) + 2)
        pending[id] = Pending(answer: call.answer)
        let headers: HPACKHeaders = [
            ":method": "POST", ":scheme": "http", ":path": call.path, ":authority": authority,
            "content-type": "application/grpc", "te": "trailers",
        ]
        context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers)))), promise: nil)
        let body = GRPCWire.framed(call.message, allocator: context.channel.allocator)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(body), endStream: true)))),
                      promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            guard pending[frame.streamID] != nil else { return }
            if let status = headers.headers.first(name: "grpc-status") {
                pending[frame.streamID]?.status = Int(status) ?? 2
                pending[frame.streamID]?.message = GRPCWire.percentDecoded(headers.headers.first(name: "grpc-message") ?? "")
            }
            if headers.endStream { finish(frame.streamID) }
        case .data(let payload):
            let length = payload.flowControlledBytes
            if let update = connectionWindow.read(length) { context.writeAndFlush(wrapOutboundOut(update), promise: nil) }
            guard var call = pending[frame.streamID] else { return }
            if case .byteBuffer(let buffer) = payload.data {
                call.body.append(contentsOf: buffer.readableBytesView)
            }
            call.unackedBytes += length
            if !payload.endStream && call.unackedBytes >= Self.streamWindowBytes / 2 {
                context.write(wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: .windowUpdate(windowSizeIncrement: call.unackedBytes))),
                              promise: nil)
                context.flush()
                call.unackedBytes = 0
            }
            pending[frame.streamID] = call
            if payload.endStream { finish(frame.streamID) }
        case .rstStream(let code):
            pending.removeValue(forKey: frame.streamID)?.answer.fail(UnaryCallError.connection("stream reset: \(code)"))
        case .goAway(let lastStreamID, let code, _):
            closedReason = "the server went away (\(code))"
            for id in pending.keys where id > lastStreamID {
                pending.removeValue(forKey: id)?.answer.fail(UnaryCallError.connection(closedReason ?? ""))
            }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll("the connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll("\(error)")
        context.close(promise: nil)
    }

    private func failAll(_ reason: String) {
        closedReason = closedReason ?? reason
        let failed = pending
        pending = [:]
        for call in failed.values { call.answer.fail(UnaryCallError.connection(reason)) }
    }

    private func finish(_ id: HTTP2StreamID) {
        guard let call = pending.removeValue(forKey: id) else { return }
        guard let status = call.status else {
            call.answer.fail(UnaryCallError.connection("the stream ended without a grpc-status"))
            return
        }
        guard status == 0 else {
            call.answer.fail(UnaryCallError.status(code: status, message: call.message))
            return
        }
        guard let message = GRPCWire.onlyMessage(in: call.body) else {
            call.answer.fail(UnaryCallError.connection("the answer is not one uncompressed gRPC message"))
            return
        }
        call.answer.succeed(Array(message))
    }
}
