import Locking
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import Server

/// One client connection to a member's gRPC port, spoken as HTTP/2 on the socket's bytes (the
/// server side of RFC 9113 as gRPC clients use it). etcd's unary KV calls (`UnaryKVRoutes`) are
/// answered here: a header block and a DATA frame in, three frames out, with no stream state
/// machine, channel or task per call. Every other call (watches, maintenance, cluster, auth) is
/// relayed frame by frame over a second connection to the member's full gRPC server on an
/// internal port, so those keep all of gRPC's machinery while a put pays for none of it.
///
/// Flow control: what this side sends waits for the client's windows (`OutboundStreams`); what
/// it receives is given back as it is read, since a unary call is read whole and a relayed
/// frame is passed on as it comes. Everything runs on the channel's event loop, but answers
/// made on a member's apply thread, which arrive through a mailbox.
final class FrontConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Stream {
        /// A unary call being read: its path, the caller's token and the body so far.
        case reading(path: String, credentials: Credentials, body: [UInt8])
        /// A unary call whose request is whole; its answer is on the way.
        case answering
        /// A call relayed to the full server, on this stream there.
        case relayed(HTTP2StreamID)
    }

    /// The settings this side announces.
    static let maxConcurrentStreams = 4096
    static let maxHeaderListBytes = 1 << 16
    /// The connection window this side opens at the start (HTTP/2 begins every connection at
    /// 65,535, too little for many calls at once); it is topped up at half of it.
    static let connectionWindowBytes = 1 << 24

    let routes: UnaryKVRoutes
    let requestBytesMax: Int
    let backend: SocketAddress
    var context: ChannelHandlerContext?
    var streams: [UInt32: Stream] = [:]
    /// The highest stream the client has opened.
    private var lastStreamID: UInt32 = 0
    var relay: Relay?
    var outbound = OutboundStreams()
    private var decoder = HPACKDecoder(allocator: ByteBufferAllocator(), maxDynamicTableSize: HPACKDecoder.maxDynamicTableSize,
                                       maxHeaderListSize: FrontConnectionHandler.maxHeaderListBytes)
    private var reader = HTTP2Wire.Reader()
    private var prefaceRead = false
    private var started = false
    var out = ByteBufferAllocator().buffer(capacity: 1024)
    private var reading = false
    private var flushPending = false
    private var connectionUnacked = 0
    /// Answers made on other threads (a member's apply thread), waiting for the event loop.
    private let mailbox = Locked(Mailbox())

    private struct Mailbox {
        var answers: [(UInt32, Answer)] = []
        /// A task that writes them is queued on the event loop.
        var drainQueued = false
    }

    /// A connection error: the GOAWAY code and what was wrong.
    struct ConnectionError: Error {
        var code: UInt32
        var reason: String
    }

    init(routes: UnaryKVRoutes, requestBytesMax: Int, backend: SocketAddress) {
        self.routes = routes
        self.requestBytesMax = requestBytesMax
        self.backend = backend
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { begin() }
    }

    func channelActive(context: ChannelHandlerContext) {
        begin()
        context.fireChannelActive()
    }

    /// The server's preface: its settings, and the larger connection window.
    private func begin() {
        guard !started else { return }
        started = true
        HTTP2Wire.writeSettings(&out, [
            (HTTP2Wire.Setting.maxConcurrentStreams, UInt32(Self.maxConcurrentStreams)),
            (HTTP2Wire.Setting.initialWindowSize, UInt32(FrontServer.streamWindowBytes)),
            (HTTP2Wire.Setting.maxHeaderListSize, UInt32(Self.maxHeaderListBytes)),
        ])
        HTTP2Wire.writeWindowUpdate(&out, stream: 0, increment: Self.connectionWindowBytes - HTTP2Wire.defaultWindowBytes)
        flushNow()
    }

    // MARK: Frames in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        reader.append(&bytes)
        reading = true
        defer { reading = false }
        do throws(ConnectionError) {
            while let frame = try nextFrame() { try handle(frame) }
        } catch {
            goAway(error)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if flushPending { flushNow() }
        context.fireChannelReadComplete()
    }

    /// The next whole frame read, after the client's preface.
    private func nextFrame() throws(ConnectionError) -> HTTP2Wire.Frame? {
        if !prefaceRead {
            guard var preface = reader.take(HTTP2Wire.preface.utf8.count) else { return nil }
            guard preface.readString(length: preface.readableBytes) == HTTP2Wire.preface else {
                throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "the client did not start with HTTP/2's preface")
            }
            prefaceRead = true
        }
        do throws(HTTP2Wire.FrameTooLarge) {
            return try reader.nextFrame()
        } catch {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.frameSizeError,
                                  reason: "a \(error.bytes)-byte frame, over the \(HTTP2Wire.maxFrameBytes)-byte limit")
        }
    }

    private func handle(_ frame: HTTP2Wire.Frame) throws(ConnectionError) {
        let headerBlock: HTTP2Wire.Reader.HeaderBlock
        do throws(HTTP2Wire.Violation) {
            headerBlock = try reader.headerBlock(frame)
        } catch {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: error.reason)
        }
        switch headerBlock {
        case .partial: return
        case .whole(let stream, let endStream, let block): return try headersArrived(stream: stream, endStream: endStream, block: block)
        case .none: break
        }
        switch HTTP2Wire.FrameType(rawValue: frame.type) {
        case .data:
            try dataArrived(frame)
        case .rstStream:
            let code = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self) ?? 0
            if case .relayed(let backID) = streams[frame.stream] {
                toBackend(HTTP2Frame(streamID: backID, payload: .rstStream(HTTP2ErrorCode(networkCode: Int(code)))))
                relay?.frontStreams.removeValue(forKey: backID)
            }
            streams.removeValue(forKey: frame.stream)
            outbound.close(frame.stream)
        case .settings:
            guard !frame.has(HTTP2Wire.Flags.ack) else { return }
            try settingsArrived(frame.payload)
        case .ping:
            guard !frame.has(HTTP2Wire.Flags.ack), frame.payload.readableBytes == 8 else { return }
            var payload = frame.payload
            HTTP2Wire.writeFrameHeader(&out, length: 8, type: .ping, flags: HTTP2Wire.Flags.ack, stream: 0)
            out.writeBuffer(&payload)
            flushSoon()
        case .goAway:
            // The client opens no more streams; it has what it waited for, or gave up on it.
            context?.close(promise: nil)
        case .windowUpdate:
            let increment = Int((frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self) ?? 0) & 0x7fff_ffff)
            guard outbound.windowUpdate(stream: frame.stream, increment: increment) else {
                throw ConnectionError(code: HTTP2Wire.ErrorCode.flowControlError, reason: "a window past 2^31-1")
            }
            sendQueued()
        case .pushPromise:
            throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a client may not send PUSH_PROMISE")
        case .headers, .continuation, .priority, nil:
            break  // Header blocks are whole by now; PRIORITY and unknown frame types are ignored, as HTTP/2 asks.
        }
    }

    private func headersArrived(stream id: UInt32, endStream: Bool, block: ByteBuffer) throws(ConnectionError) {
        // Every block is decoded, whatever becomes of its stream, to keep HPACK's dynamic table in step.
        var block = block
        let headers: HPACKHeaders
        do {
            headers = try decoder.decodeHeaders(from: &block)
        } catch {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.compressionError, reason: "a header block that does not decode: \(error)")
        }
        switch streams[id] {
        case nil:
            guard id > lastStreamID, id % 2 == 1 else { return }  // trailers of a stream already answered, or a bad id
            lastStreamID = id
            guard streams.count < Self.maxConcurrentStreams else {
                HTTP2Wire.writeRstStream(&out, stream: id, code: HTTP2Wire.ErrorCode.refusedStream)
                return flushSoon()
            }
            outbound.open(id)
            let path = headers.first(name: ":path") ?? ""
            if UnaryKVRoutes.serves(path) {
                // etcd's clients send Authenticate's token as the `token` metadata.
                let credentials: Credentials = headers.first(name: "token").map { .token($0) } ?? .none
                streams[id] = .reading(path: path, credentials: credentials, body: [])
                if endStream { requestRead(id) }
            } else {
                startRelay(id, headers: headers, endStream: endStream)
            }
        case .relayed(let backID):
            toBackend(HTTP2Frame(streamID: backID, payload: .headers(.init(headers: headers, endStream: endStream))))
        case .reading:
            // Trailers from the client end its request.
            if endStream { requestRead(id) }
        case .answering:
            break
        }
    }

    private func dataArrived(_ frame: HTTP2Wire.Frame) throws(ConnectionError) {
        // Flow control counts the whole payload, padding included, whatever stream it is for.
        let length = frame.payload.readableBytes
        connectionUnacked += length
        if connectionUnacked >= Self.connectionWindowBytes / 2 {
            HTTP2Wire.writeWindowUpdate(&out, stream: 0, increment: connectionUnacked)
            connectionUnacked = 0
            flushSoon()
        }
        guard let payload = HTTP2Wire.unpadded(frame) else {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a DATA frame with more padding than payload")
        }
        let id = frame.stream
        let endStream = frame.has(HTTP2Wire.Flags.endStream)
        switch streams[id] {
        case .reading(let path, let credentials, var body):
            guard body.count + payload.readableBytes <= requestBytesMax else {
                streams[id] = .answering
                return answer(id, with: .failure(.grpcStatus(code: 8, message: "grpc: received message larger than max (\(body.count + payload.readableBytes) vs. \(requestBytesMax))")))
            }
            body.append(contentsOf: payload.readableBytesView)
            streams[id] = .reading(path: path, credentials: credentials, body: body)
            // A request that fits in half the stream's window (all but the largest) needs none
            // of it back: the stream ends with it.
            if body.count > FrontServer.streamWindowBytes / 2 { giveBackStreamWindow(id, length, endStream: endStream) }
            if endStream { requestRead(id) }
        case .relayed(let backID):
            giveBackStreamWindow(id, length, endStream: endStream)
            toBackend(HTTP2Frame(streamID: backID, payload: .data(.init(data: .byteBuffer(payload), endStream: endStream))))
        case .answering, nil:
            break
        }
    }

    private func settingsArrived(_ payload: ByteBuffer) throws(ConnectionError) {
        var payload = payload
        guard payload.readableBytes % 6 == 0 else {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "a SETTINGS frame of \(payload.readableBytes) bytes")
        }
        while let id = payload.readInteger(as: UInt16.self), let value = payload.readInteger(as: UInt32.self) {
            switch id {
            case HTTP2Wire.Setting.initialWindowSize:
                guard value <= UInt32(Int32.max) else {
                    throw ConnectionError(code: HTTP2Wire.ErrorCode.flowControlError, reason: "an initial window of \(value), over 2^31-1")
                }
                outbound.setInitialWindow(Int(value))
            case HTTP2Wire.Setting.maxFrameSize:
                guard (16_384...16_777_215).contains(value) else {
                    throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a frame size of \(value)")
                }
                outbound.peerMaxFrameBytes = Int(value)
            default:
                break
            }
        }
        HTTP2Wire.writeFrameHeader(&out, length: 0, type: .settings, flags: HTTP2Wire.Flags.ack, stream: 0)
        sendQueued()
    }

    private func giveBackStreamWindow(_ id: UInt32, _ bytes: Int, endStream: Bool) {
        guard bytes > 0, !endStream else { return }
        HTTP2Wire.writeWindowUpdate(&out, stream: id, increment: bytes)
        flushSoon()
    }

    /// Ends the connection for a protocol error: GOAWAY with what was wrong, then close.
    private func goAway(_ error: ConnectionError) {
        let reason = Array(error.reason.utf8.prefix(256))
        HTTP2Wire.writeFrameHeader(&out, length: 8 + reason.count, type: .goAway, flags: 0, stream: 0)
        out.writeInteger(lastStreamID)
        out.writeInteger(error.code)
        out.writeBytes(reason)
        flushNow()
        context?.close(promise: nil)
    }

    // MARK: Unary calls answered here

    enum Answer: Sendable {
        case message([UInt8])
        case failure(Failure)
    }

    enum Failure: Sendable {
        case api(EtcdAPIError)
        case grpcStatus(code: Int, message: String)
    }

    private func requestRead(_ id: UInt32) {
        guard case .reading(let path, let credentials, let body) = streams[id], let context else { return }
        streams[id] = .answering
        guard let request = GRPCWire.onlyMessage(in: body) else {
            return answer(id, with: .failure(.grpcStatus(code: 13, message: "the request is not one uncompressed gRPC message")))
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let mailbox = mailbox
        routes.answer(path, request: Array(request), credentials: credentials) { result in
            let outcome: Answer = switch result {
            case .success(let bytes): .message(bytes)
            case .failure(let error): .failure(.api(error))
            }
            if eventLoop.inEventLoop { return handler.value.answer(id, with: outcome) }
            // The first answer to arrive queues one task for all that come before it runs: an
            // apply batch answers many calls of a connection at once, and they go out in one
            // write, without a task (and an event-loop wake-up) each.
            let queueDrain = mailbox.withLock { box in
                box.answers.append((id, outcome))
                defer { box.drainQueued = true }
                return !box.drainQueued
            }
            if queueDrain {
                eventLoop.execute { handler.value.drainMailbox() }
            }
        }
    }

    /// Writes every answer the mailbox holds, then flushes once.
    private func drainMailbox() {
        let answers = mailbox.withLock { box in
            defer {
                box.answers.removeAll(keepingCapacity: true)
                box.drainQueued = false
            }
            return box.answers
        }
        for (id, outcome) in answers { answer(id, with: outcome) }
        flushSoon()
    }

    private func answer(_ id: UInt32, with outcome: Answer) {
        // The client may have reset the stream or closed the connection meanwhile.
        guard case .answering = streams[id], context?.channel.isActive == true else { return }
        streams.removeValue(forKey: id)
        switch outcome {
        case .message(let bytes):
            send(.headers(GRPCWire.responseHeaderBlock, endStream: false), on: id)
            send(.data(GRPCWire.framed(bytes, allocator: context!.channel.allocator), endStream: false), on: id)
            send(.headers(GRPCWire.okTrailerBlock, endStream: true), on: id)
        case .failure(let failure):
            let (code, message) = switch failure {
            case .api(let error): (error.code.rawValue, error.description)
            case .grpcStatus(let code, let message): (code, message)
            }
            send(.headers(GRPCWire.block(GRPCWire.trailersOnly(code: code, message: message)), endStream: true), on: id)
        }
        flushSoon()
    }

    // MARK: Writing

    /// Writes `item` on stream `id` now, or after what the stream already has waiting for a window.
    func send(_ item: OutboundStreams.Item, on id: UInt32) {
        outbound.send(item, on: id, into: &out)
    }

    /// Writes what waited for a window that has since opened.
    private func sendQueued() {
        outbound.writeWaiting(into: &out)
        flushSoon()
    }

    /// Writes what is buffered now, or, inside a read, once the read is done.
    func flushSoon() {
        if reading { flushPending = true } else { flushNow() }
    }

    private func flushNow() {
        flushPending = false
        guard out.readableBytes > 0, let context, context.channel.isActive else { return }
        let bytes = out
        out = context.channel.allocator.buffer(capacity: 1024)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    // MARK: The connection's end

    func channelInactive(context: ChannelHandlerContext) {
        relay?.channel?.close(promise: nil)
        relay = nil
        streams = [:]
        outbound = OutboundStreams()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A connection whose socket fails is closed; the member and other clients go on.
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }
}
