import Locking
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import Server

/// One client connection to a member's gRPC port, at the level of HTTP/2 frames. etcd's unary
/// KV calls (`UnaryKVRoutes`) are answered here: a few frames in, a call to the member's API, a
/// few frames out. Every other call (watches, maintenance, cluster, auth) is relayed frame by frame
/// over a second connection to the member's full gRPC server on an internal port, so those keep
/// all of gRPC's machinery while a put pays for none of it.
///
/// Flow control is NIO's for what this side sends (frames wait for the peer's window); what
/// it receives is given back at once, since a unary call is read whole and a relayed frame is
/// passed on as it comes.
final class FrontConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private enum Stream {
        /// A unary call being read: its path, the caller's token and the body so far.
        case reading(path: String, credentials: Credentials, body: [UInt8])
        /// A unary call whose request is whole; its answer is on the way.
        case answering
        /// A call relayed to the full server, on this stream there.
        case relayed(HTTP2StreamID)
    }

    private let routes: UnaryKVRoutes
    private let requestBytesMax: Int
    private let backend: SocketAddress
    private var streams: [HTTP2StreamID: Stream] = [:]
    private var relay: Relay?
    private var connectionWindow = ReceiveWindow()
    /// A flush is queued on the event loop behind the answers queued so far.
    private var flushQueued = false
    /// Answers made on other threads (a member's apply thread), waiting for the event loop.
    private let mailbox = Locked(Mailbox())

    private struct Mailbox {
        var answers: [(HTTP2StreamID, Answer)] = []
        /// A task that writes them is queued on the event loop.
        var drainQueued = false
    }

    /// The connection to the full server, made when the first relayed call arrives.
    private struct Relay {
        var channel: (any Channel)?
        /// Frames for it written before it connected.
        var queued: [HTTP2Frame] = []
        var nextStreamID = HTTP2StreamID(1)
        var frontStreams: [HTTP2StreamID: HTTP2StreamID] = [:]
    }

    init(routes: UnaryKVRoutes, requestBytesMax: Int, backend: SocketAddress) {
        self.routes = routes
        self.requestBytesMax = requestBytesMax
        self.backend = backend
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let id = frame.streamID
        switch frame.payload {
        case .headers(let headers):
            switch streams[id] {
            case nil:
                let path = headers.headers.first(name: ":path") ?? ""
                if UnaryKVRoutes.serves(path) {
                    // etcd's clients send Authenticate's token as the `token` metadata.
                    let credentials: Credentials = headers.headers.first(name: "token").map { .token($0) } ?? .none
                    streams[id] = .reading(path: path, credentials: credentials, body: [])
                    if headers.endStream { requestRead(id, context: context) }
                } else {
                    startRelay(id, headers: frame, context: context)
                }
            case .relayed(let backID):
                toBackend(HTTP2Frame(streamID: backID, payload: frame.payload), context: context)
            case .reading:
                // Trailers from the client end its request.
                if headers.endStream { requestRead(id, context: context) }
            case .answering:
                break
            }
        case .data(let payload):
            let length = payload.flowControlledBytes
            if let update = connectionWindow.read(length) { context.writeAndFlush(wrapOutboundOut(update), promise: nil) }
            switch streams[id] {
            case .reading(let path, let credentials, var body):
                guard body.count + payload.data.readableBytes <= requestBytesMax else {
                    streams[id] = .answering
                    answer(id, with: .failure(.grpcStatus(code: 8, message: "grpc: received message larger than max (\(body.count + payload.data.readableBytes) vs. \(requestBytesMax))")),
                           context: context)
                    flushSoon(context: context)
                    return
                }
                if case .byteBuffer(let buffer) = payload.data { body.append(contentsOf: buffer.readableBytesView) }
                streams[id] = .reading(path: path, credentials: credentials, body: body)
                // A request that fits in half the stream's window (all but the largest) needs
                // none of it back: the stream ends with it.
                if body.count > FrontServer.streamWindowBytes / 2 {
                    giveBackStreamWindow(id, length, endStream: payload.endStream, context: context)
                }
                if payload.endStream { requestRead(id, context: context) }
            case .relayed(let backID):
                giveBackStreamWindow(id, length, endStream: payload.endStream, context: context)
                toBackend(HTTP2Frame(streamID: backID, payload: frame.payload), context: context)
            case .answering, nil:
                break
            }
        case .rstStream:
            if case .relayed(let backID) = streams[id] {
                toBackend(HTTP2Frame(streamID: backID, payload: frame.payload), context: context)
                relay?.frontStreams.removeValue(forKey: backID)
            }
            streams.removeValue(forKey: id)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        relay?.channel?.close(promise: nil)
        relay = nil
        streams = [:]
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A connection that breaks the protocol is closed; the member and other clients go on.
        context.close(promise: nil)
    }

    // MARK: Unary calls answered here

    private enum Answer: Sendable {
        case message([UInt8])
        case failure(Failure)
    }

    private enum Failure: Sendable {
        case api(EtcdAPIError)
        case grpcStatus(code: Int, message: String)
    }

    private func requestRead(_ id: HTTP2StreamID, context: ChannelHandlerContext) {
        guard case .reading(let path, let credentials, let body) = streams[id] else { return }
        streams[id] = .answering
        guard let request = GRPCWire.onlyMessage(in: body) else {
            answer(id, with: .failure(.grpcStatus(code: 13, message: "the request is not one uncompressed gRPC message")), context: context)
            flushSoon(context: context)
            return
        }
        let routes = routes
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let mailbox = mailbox
        routes.answer(path, request: Array(request), credentials: credentials) { result in
            let outcome: Answer = switch result {
            case .success(let bytes): .message(bytes)
            case .failure(let error): .failure(.api(error))
            }
            if eventLoop.inEventLoop {
                handler.value.answer(id, with: outcome, context: boundContext.value)
                handler.value.flushSoon(context: boundContext.value)
                return
            }
            // The first answer to arrive queues one task for all that come before it runs: an
            // apply batch answers many calls of a connection at once, and they go out in one
            // write, without a task (and an event-loop wake-up) each.
            let queueDrain = mailbox.withLock { box in
                box.answers.append((id, outcome))
                defer { box.drainQueued = true }
                return !box.drainQueued
            }
            if queueDrain {
                eventLoop.execute { handler.value.drainMailbox(context: boundContext.value) }
            }
        }
    }

    /// Writes every answer the mailbox holds, then flushes once.
    private func drainMailbox(context: ChannelHandlerContext) {
        let answers = mailbox.withLock { box in
            defer {
                box.answers.removeAll(keepingCapacity: true)
                box.drainQueued = false
            }
            return box.answers
        }
        for (id, outcome) in answers { answer(id, with: outcome, context: context) }
        if context.channel.isActive { context.flush() }
    }

    private func answer(_ id: HTTP2StreamID, with outcome: Answer, context: ChannelHandlerContext) {
        // The client may have reset the stream or closed the connection meanwhile.
        guard case .answering = streams[id], context.channel.isActive else { return }
        streams.removeValue(forKey: id)
        switch outcome {
        case .message(let bytes):
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: GRPCWire.responseHeaders)))),
                          promise: nil)
            let body = GRPCWire.framed(bytes, allocator: context.channel.allocator)
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(body))))), promise: nil)
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: GRPCWire.trailers(code: 0, message: ""),
                                                                                                endStream: true)))),
                          promise: nil)
        case .failure(let failure):
            let (code, message) = switch failure {
            case .api(let error): (error.code.rawValue, error.description)
            case .grpcStatus(let code, let message): (code, message)
            }
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: GRPCWire.trailersOnly(code: code, message: message),
                                                                                                endStream: true)))),
                          promise: nil)
        }
    }

    /// One flush for the answers made on the event loop itself (refusals, and calls answered
    /// while the loop runs): the flush queued behind the first of them sends them all in one
    /// write.
    private func flushSoon(context: ChannelHandlerContext) {
        guard !flushQueued else { return }
        flushQueued = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            handler.value.flushQueued = false
            boundContext.value.flush()
        }
    }

    // MARK: Calls relayed to the full server

    private func startRelay(_ id: HTTP2StreamID, headers: HTTP2Frame, context: ChannelHandlerContext) {
        // A connection has 2^30 client streams; a relay that used them all is replaced.
        if let used = relay, Int32(used.nextStreamID) > Int32.max - 2 {
            used.channel?.close(promise: nil)
            relayClosed(context: context)
        }
        if relay == nil { connectRelay(context: context) }
        let backID = relay!.nextStreamID
        relay!.nextStreamID = HTTP2StreamID(Int32(backID) + 2)
        relay!.frontStreams[backID] = id
        streams[id] = .relayed(backID)
        toBackend(HTTP2Frame(streamID: backID, payload: headers.payload), context: context)
    }

    private func connectRelay(context: ChannelHandlerContext) {
        relay = Relay()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOHTTP2Handler(mode: .client, connectionConfiguration: RelayHandler.connectionConfiguration))
                    try sync.addHandler(RelayHandler { frame in handler.value.fromBackend(frame, context: boundContext.value) })
                }
            }
            .connect(to: backend)
            .whenComplete { result in
                // NIO completes the connect before the pipeline hears channelActive, which is
                // when the HTTP/2 handler sends its preface: write nothing until after that.
                boundContext.value.eventLoop.execute {
                    handler.value.relayConnected(result, context: boundContext.value)
                }
            }
    }

    private func relayConnected(_ result: Result<any Channel, any Error>, context: ChannelHandlerContext) {
        guard relay != nil else {
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
            channel.closeFuture.whenComplete { [handler = NIOLoopBound(self, eventLoop: context.eventLoop),
                                                 boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)] _ in
                // Only if it is still the relay: a replaced one has already been let go.
                guard handler.value.relay?.channel === channel else { return }
                handler.value.relayClosed(context: boundContext.value)
            }
        case .failure(let error):
            relay!.queued = []
            relayClosed(context: context, reason: "the member's gRPC server cannot be reached: \(error)")
        }
    }

    /// Ends every relayed call with Unavailable; the next relayed call connects again.
    private func relayClosed(context: ChannelHandlerContext, reason: String = "the member's gRPC server closed the connection") {
        guard let closing = relay else { return }
        relay = nil
        for (_, frontID) in closing.frontStreams where streams[frontID] != nil {
            streams.removeValue(forKey: frontID)
            guard context.channel.isActive else { continue }
            context.write(wrapOutboundOut(HTTP2Frame(streamID: frontID, payload: .headers(.init(headers: GRPCWire.trailersOnly(code: 14, message: reason),
                                                                                                     endStream: true)))),
                          promise: nil)
        }
        context.flush()
    }

    private func toBackend(_ frame: HTTP2Frame, context: ChannelHandlerContext) {
        guard relay != nil else { return }
        if let channel = relay!.channel {
            channel.writeAndFlush(frame, promise: nil)
        } else {
            relay!.queued.append(frame)
        }
    }

    /// A frame the full server sent on a relayed call, passed to the client on its stream.
    private func fromBackend(_ frame: HTTP2Frame, context: ChannelHandlerContext) {
        guard let frontID = relay?.frontStreams[frame.streamID], context.channel.isActive else { return }
        let ends: Bool
        switch frame.payload {
        case .headers(let headers): ends = headers.endStream
        case .data(let data): ends = data.endStream
        case .rstStream: ends = true
        default: return
        }
        context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: frontID, payload: frame.payload)), promise: nil)
        if ends {
            relay?.frontStreams.removeValue(forKey: frame.streamID)
            streams.removeValue(forKey: frontID)
        }
    }

    // MARK: Flow control of what the client sends

    private func giveBackStreamWindow(_ id: HTTP2StreamID, _ bytes: Int, endStream: Bool, context: ChannelHandlerContext) {
        guard bytes > 0, !endStream else { return }
        context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .windowUpdate(windowSizeIncrement: bytes))), promise: nil)
    }
}

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
