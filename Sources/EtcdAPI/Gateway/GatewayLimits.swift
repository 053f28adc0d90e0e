import NIOCore
import NIOHTTP1

/// What one client may make a JSON gateway port hold or do. etcd's gateway, Go's HTTP server,
/// sets none of these but its header cap (1 MiB); each is a bound a well-behaved client never meets.
public struct GatewayLimits: Sendable, Equatable {
    /// Connections the port holds at once; more are closed as they arrive.
    public var maxConnections = 1024
    /// The request line and headers, in bytes.
    public var headerBytesMax = 16 << 10
    /// A request body, in bytes: etcd's request limit (1.5 MiB) grown by base64 and JSON.
    public var bodyBytesMax = 4 << 20
    /// A new connection's first request head must arrive whole within this time.
    public var headerTimeout: Duration = .seconds(30)
    /// A kept-alive connection's next request head must arrive whole within this time of the
    /// last answer, and no request may go this long without a byte of its body.
    public var idleTimeout: Duration = .seconds(60)
    /// Requests a client may send ahead of their answers; one more closes the connection.
    public var pipelinedRequestsMax = 16

    public init() {}
}

/// Sits between the HTTP/1.1 decoder and NIO's pipelining handler: sees every request head as
/// it is parsed and every answer as it is written, and holds the connection to `GatewayLimits`:
/// the header and idle timeouts and the number of requests read ahead of their answers.
final class GatewayGuard: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let limits: GatewayLimits
    /// Requests whose head has arrived and whose answer has not ended.
    private var unanswered = 0
    private var timer: Scheduled<Void>?

    init(limits: GatewayLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(limits.headerTimeout, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            guard unanswered <= limits.pipelinedRequestsMax else {
                timer?.cancel()
                context.close(promise: nil)
                return
            }
            arm(limits.idleTimeout, context: context)
        case .body:
            arm(limits.idleTimeout, context: context)
        case .end:
            timer?.cancel()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered -= 1
            if unanswered == 0 { arm(limits.idleTimeout, context: context) }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    /// Closes the connection unless something arrives within `delay`.
    private func arm(_ delay: Duration, context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { channel.close(promise: nil) }
    }
}
