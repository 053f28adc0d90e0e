import NIOCore
import NIOHTTP1

/// Answers HTTP/1.1 on a member's client port, as etcd's cmux lets it: `GET /metrics`, `/health`
/// and `/version` (`OperatorEndpoints`), 404 for any other path. A connection whose first bytes
/// are not HTTP/2's preface is handed here by `FrontConnectionHandler`, behind NIO's HTTP/1.1
/// server and the gateway's limits (`GatewayGuard`: header size, header and idle timeouts,
/// pipelined requests). Request bodies are never held: they are counted and dropped, and a
/// request whose body passes `discardedBodyBytesMax` is answered 413 and its connection closed.
final class FrontHTTP1Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// None of the answered requests has a body; a client may send a small one all the same.
    static let discardedBodyBytesMax = 64 << 10

    let endpoints: OperatorEndpoints
    private var head: HTTPRequestHead?
    private var bodyBytes = 0

    init(endpoints: OperatorEndpoints) {
        self.endpoints = endpoints
    }

    /// NIO's HTTP/1.1 server with the gateway's limits, then this handler, after `handler`.
    static func addHandlers(to pipeline: ChannelPipeline.SynchronousOperations, after handler: any ChannelHandler,
                            endpoints: OperatorEndpoints, limits: GatewayLimits) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.headerBytesMax
        decoderLimits.maxHeaderFieldSize = limits.headerBytesMax
        decoderLimits.maxHeaderFieldCount = 100
        let handlers: [any ChannelHandler] = [
            HTTPResponseEncoder(),
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)),
            GatewayGuard(limits: limits),
            HTTPServerPipelineHandler(),
            HTTPServerProtocolErrorHandler(),
            FrontHTTP1Handler(endpoints: endpoints),
        ]
        var previous = handler
        for next in handlers {
            try pipeline.addHandler(next, position: .after(previous))
            previous = next
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            bodyBytes = 0
        case .body(let chunk):
            bodyBytes += chunk.readableBytes
            guard bodyBytes > Self.discardedBodyBytesMax, let request = head else { return }
            head = nil
            let reply = GatewayReply(status: 413, body: Array("Request Entity Too Large\n".utf8), contentType: "text/plain; charset=utf-8")
            write(reply, version: request.version, keepAlive: false, context: context)
        case .end:
            guard let request = head else { return }
            head = nil
            let reply = endpoints.answer(method: request.method.rawValue, uri: request.uri) ?? GatewayRoutes.notFound
            write(reply, version: request.version, keepAlive: request.isKeepAlive, context: context)
        }
    }

    /// A request NIO's decoder refused (`HTTPServerProtocolErrorHandler` has answered it 400)
    /// or a broken connection: the connection ends.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func write(_ reply: GatewayReply, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(reply.head(version: version, keepAlive: keepAlive))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: reply.body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}
