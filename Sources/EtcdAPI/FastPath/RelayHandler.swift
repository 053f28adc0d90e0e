import NIOCore
import NIOHTTP2

/// The relay's end of the connection to a member's full gRPC server: hands every frame it
/// receives to the front connection and gives the server's window back as data arrives.
final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    static var connectionConfiguration: NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = [
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
        ]
        return configuration
    }

    private let deliver: (HTTP2Frame) -> Void
    private var connectionWindow = ReceiveWindow()
    /// A flush is queued on the event loop behind the answers queued so far.
    private var flushQueued = false

    init(deliver: @escaping (HTTP2Frame) -> Void) {
        self.deliver = deliver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .data(let payload) = frame.payload {
            let length = payload.flowControlledBytes
            if let update = connectionWindow.read(length) { context.write(wrapOutboundOut(update), promise: nil) }
            if length > 0 && !payload.endStream {
                context.write(wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: .windowUpdate(windowSizeIncrement: length))),
                              promise: nil)
            }
            context.flush()
        }
        deliver(frame)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
