import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// Calls the front server does not answer itself go, frame by frame, to the member's full gRPC
/// server over one HTTP/2 connection (NIO's client) made when the first of them arrives.
extension FrontConnectionHandler {
    struct Relay {
        var channel: (any Channel)?
        /// Frames for it written before it connected.
        var queued: [HTTP2Frame] = []
        var nextStreamID = HTTP2StreamID(1)
        /// The client's stream for each of the relay's.
        var frontStreams: [HTTP2StreamID: UInt32] = [:]
    }

    func startRelay(_ id: UInt32, headers: HPACKHeaders, endStream: Bool) {
        // A connection has 2^30 client streams; a relay that used them all is replaced.
        if let used = relay, Int32(used.nextStreamID) > Int32.max - 2 {
            used.channel?.close(promise: nil)
            relayClosed()
        }
        if relay == nil { connectRelay() }
        let backID = relay!.nextStreamID
        relay!.nextStreamID = HTTP2StreamID(Int32(backID) + 2)
        relay!.frontStreams[backID] = id
        streams[id] = .relayed(backID)
        toBackend(HTTP2Frame(streamID: backID, payload: .headers(.init(headers: headers, endStream: endStream))))
    }

    private func connectRelay() {
        guard let context else { return }
        relay = Relay()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOHTTP2Handler(mode: .client, connectionConfiguration: RelayHandler.connectionConfiguration))
                    try sync.addHandler(RelayHandler { frame in handler.value.fromBackend(frame) })
                }
            }
            .connect(to: backend)
            .whenComplete { result in
                // NIO completes the connect before the pipeline hears channelActive, which is
                // when the HTTP/2 handler sends its preface: write nothing until after that.
                handler.value.context?.eventLoop.execute { handler.value.relayConnected(result) }
            }
    }

    private func relayConnected(_ result: Result<any Channel, any Error>) {
        guard relay != nil, let context else {
            // This connection closed while the relay connected.
            if case .success(let channel) = result { channel.close(promise: nil) }
            return
        }
        switch result {
        case .success(let channel):
            relay!.channel = channel
            for frame in relay!.queued { channel.write(frame, promise: nil) }
            relay!.queued = []
            channel.flush()
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            channel.closeFuture.whenComplete { _ in
                // Only if it is still the relay: a replaced one has already been let go.
                guard handler.value.relay?.channel === channel else { return }
                handler.value.relayClosed()
            }
        case .failure(let error):
            relay!.queued = []
            relayClosed(reason: "the member's gRPC server cannot be reached: \(error)")
        }
    }

    /// Ends every relayed call with Unavailable; the next relayed call connects again.
    func relayClosed(reason: String = "the member's gRPC server closed the connection") {
        guard let closing = relay else { return }
        relay = nil
        let ending = GRPCWire.block(GRPCWire.trailersOnly(code: 14, message: reason))
        for (_, frontID) in closing.frontStreams where streams[frontID] != nil {
            streams.removeValue(forKey: frontID)
            send(.headers(ending, endStream: true), on: frontID)
        }
        flushSoon()
    }

    func toBackend(_ frame: HTTP2Frame) {
        guard relay != nil else { return }
        if let channel = relay!.channel {
            channel.writeAndFlush(frame, promise: nil)
        } else {
            relay!.queued.append(frame)
        }
    }

    /// A frame the full server sent on a relayed call, passed to the client on its stream.
    private func fromBackend(_ frame: HTTP2Frame) {
        guard let frontID = relay?.frontStreams[frame.streamID], context?.channel.isActive == true else { return }
        let ends: Bool
        switch frame.payload {
        case .headers(let headers):
            ends = headers.endStream
            send(.headers(GRPCWire.block(headers.headers), endStream: ends), on: frontID)
        case .data(let data):
            ends = data.endStream
            guard case .byteBuffer(let bytes) = data.data else { return }
            send(.data(bytes, endStream: ends), on: frontID)
        case .rstStream(let code):
            ends = true
            outbound.close(frontID)
            HTTP2Wire.writeRstStream(&out, stream: frontID, code: UInt32(code.networkCode))
        default:
            return
        }
        flushSoon()
        if ends {
            relay?.frontStreams.removeValue(forKey: frame.streamID)
            streams.removeValue(forKey: frontID)
        }
    }
}
