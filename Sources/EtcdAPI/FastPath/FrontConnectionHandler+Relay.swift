import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// Calls the front server does not answer itself go, frame by frame, to the member's full gRPC
/// server over one HTTP/2 connection (NIO's client) made when the first of them arrives.
///
/// Both directions keep the client's bounds: the client's request DATA counts as held until NIO
/// has written it to the full server (whose own window may hold it back), and only then goes
/// back to the client's windows; the full server's answers are given window back only as they
/// are written to the client, so a call whose client does not read (a watch with a closed
/// window) stops the full server after one stream window (`relayStreamWindowBytes`).
extension FrontConnectionHandler {
    struct Relay {
        var channel: (any Channel)?
        /// Frames for it written before it connected, with the request bytes each holds.
        var queued: [(frame: HTTP2Frame, heldBytes: Int, stream: UInt32?)] = []
        var nextStreamID = HTTP2StreamID(1)
        /// The client's stream for each of the relay's.
        var frontStreams: [HTTP2StreamID: UInt32] = [:]
        /// Answer bytes written to the client and not yet given back to the full server.
        var connectionUnacked = 0
    }

    /// The full server's window on each relayed stream: what one call may have waiting for its
    /// client (grpc-go's write quota per stream).
    static let relayStreamWindowBytes = HTTP2Wire.defaultWindowBytes

    var relayQueuedBytes: Int { relay?.queued.reduce(0) { $0 + $1.heldBytes } ?? 0 }

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
            // The full server may have up to the write quota of answers waiting across calls.
            channel.write(HTTP2Frame(streamID: .rootStream,
                                     payload: .windowUpdate(windowSizeIncrement: limits.writeQuotaBytes - HTTP2Wire.defaultWindowBytes)),
                          promise: nil)
            let queued = relay!.queued
            relay!.queued = []
            for item in queued { write(item.frame, to: channel, heldBytes: item.heldBytes, stream: item.stream) }
            channel.flush()
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            channel.closeFuture.whenComplete { _ in
                // Only if it is still the relay: a replaced one has already been let go.
                guard handler.value.relay?.channel === channel else { return }
                handler.value.relayClosed()
            }
        case .failure(let error):
            for item in relay!.queued { requestBytesHandedOn(item.heldBytes, stream: nil) }
            relay!.queued = []
            relayClosed(reason: "the member's gRPC server cannot be reached: \(error)")
        }
    }

    /// Ends every relayed call with Unavailable; the next relayed call connects again.
    func relayClosed(reason: String = "the member's gRPC server closed the connection") {
        guard let closing = relay else { return }
        relay = nil
        for item in closing.queued { requestBytesHandedOn(item.heldBytes, stream: nil) }
        let ending = GRPCWire.block(GRPCWire.trailersOnly(code: 14, message: reason))
        for (_, frontID) in closing.frontStreams where streams[frontID] != nil {
            streams.removeValue(forKey: frontID)
            send(.headers(ending, endStream: true), on: frontID)
        }
        flushSoon()
    }

    /// Sends `frame` to the full server. Request DATA holds `heldBytes` of the client's window
    /// (on `stream`, unless that stream has ended) until NIO has written it.
    func toBackend(_ frame: HTTP2Frame, heldBytes: Int = 0, stream: UInt32? = nil) {
        guard relay != nil else { return consume(heldBytes) }
        requestBytesHeld += heldBytes
        if let channel = relay!.channel {
            write(frame, to: channel, heldBytes: heldBytes, stream: stream)
            channel.flush()
        } else {
            relay!.queued.append((frame, heldBytes, stream))
        }
    }

    private func write(_ frame: HTTP2Frame, to channel: any Channel, heldBytes: Int, stream: UInt32?) {
        guard heldBytes > 0, let context else { return channel.write(frame, promise: nil) }
        let promise = context.eventLoop.makePromise(of: Void.self)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { _ in handler.value.requestBytesHandedOn(heldBytes, stream: stream) }
        channel.write(frame, promise: promise)
    }

    /// Relayed request bytes left this side (or were dropped): the client's windows get them back.
    private func requestBytesHandedOn(_ bytes: Int, stream: UInt32?) {
        requestBytesHeld -= bytes
        guard context?.channel.isActive == true else { return }
        consume(bytes)
        if let stream, case .relayed = streams[stream] {
            HTTP2Wire.writeWindowUpdate(&out, stream: stream, increment: bytes)
        }
        flushSoon()
    }

    /// Answers of relayed calls reached the client: the full server may send as much again.
    func relayAnswersWritten(_ written: [(stream: UInt32, bytes: Int)]) {
        guard !written.isEmpty, relay != nil, let channel = relay!.channel else { return }
        for (frontID, bytes) in written {
            if case .relayed(let backID) = streams[frontID] {
                channel.write(HTTP2Frame(streamID: backID, payload: .windowUpdate(windowSizeIncrement: bytes)), promise: nil)
            }
            relay!.connectionUnacked += bytes
        }
        if relay!.connectionUnacked >= HTTP2Wire.defaultWindowBytes / 2 {
            channel.write(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: relay!.connectionUnacked)),
                          promise: nil)
            relay!.connectionUnacked = 0
        }
        channel.flush()
    }

    /// A frame the full server sent on a relayed call, passed to the client on its stream.
    private func fromBackend(_ frame: HTTP2Frame) {
        guard let frontID = relay?.frontStreams[frame.streamID], context?.channel.isActive == true else {
            // An answer for a call the client reset: nobody will read it, and the full server
            // gets its window back at once.
            if case .data(let data) = frame.payload { relayAnswersWritten([(0, data.data.readableBytes + (data.paddingBytes ?? 0))]) }
            return
        }
        let ends: Bool
        switch frame.payload {
        case .headers(let headers):
            ends = headers.endStream
            send(.headers(GRPCWire.block(headers.headers), endStream: ends), on: frontID)
        case .data(let data):
            ends = data.endStream
            guard case .byteBuffer(let bytes) = data.data else { return }
            // Padding never reaches the client: it is given back at once.
            if let padding = data.paddingBytes, padding > 0 { relayAnswersWritten([(0, padding)]) }
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
