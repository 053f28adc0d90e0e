import NIOHTTP2

/// The connection window the front server's relay gives back to the member's full gRPC server.
/// Without NIO's stream multiplexer, giving back what was read is the handler's job: a peer stops
/// sending DATA once the window is spent. (The front connection and the unary-call client, which
/// write their own frames, keep the same count themselves.)
struct ReceiveWindow {
    /// HTTP/2's fixed initial connection window (it changes only by WINDOW_UPDATE).
    static let connectionBytes = 65_535

    private var unackedBytes = 0

    /// Counts `bytes` of DATA read; once half the window is spent, the WINDOW_UPDATE to send.
    mutating func read(_ bytes: Int) -> HTTP2Frame? {
        unackedBytes += bytes
        guard unackedBytes >= Self.connectionBytes / 2 else { return nil }
        defer { unackedBytes = 0 }
        return HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: unackedBytes))
    }
}

extension HTTP2Frame.FramePayload.Data {
    /// The bytes this frame takes from the flow-control window: its data and any padding.
    var flowControlledBytes: Int { data.readableBytes + (paddingBytes ?? 0) }
}
