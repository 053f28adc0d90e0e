import NIOCore
import NIOHTTP2

/// The relay's end of the connection to a member's full gRPC server: hands every frame it
/// receives to the front connection, which gives the server's window back as the answers reach
/// the client (without NIO's stream multiplexer, nothing else gives it back).
final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    static var connectionConfiguration: NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = [
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
            HTTP2Setting(parameter: .initialWindowSize, value: FrontConnectionHandler.relayStreamWindowBytes),
        ]
        return configuration
    }

    private let deliver: (HTTP2Frame) -> Void

    init(deliver: @escaping (HTTP2Frame) -> Void) {
        self.deliver = deliver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deliver(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
