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
/// relayed frame by frame over a second connection to the member's full gRPC server, so those
/// keep all of gRPC's machinery while a put pays for none of it.
///
/// Everything a client can make it hold has a bound (`FrontLimits`), counted in
/// `FrontConnectionReport.heldBytes`:
/// - request bytes: the connection's receive window is given back only as whole messages are
///   handed to the member or written to the full server, so a client's unfinished bodies stop
///   at `requestBytesHeldMax`; a client that sends past its window is a FLOW_CONTROL_ERROR;
/// - streams: at most `maxConcurrentStreams`, a reset one counting until its call ends;
/// - answers: they wait for the client's windows (`OutboundStreams`); past `writeQuotaBytes`
///   waiting, new streams are refused, and a relayed call's window toward the full server is
///   given back only as its answers reach the client; while the socket does not drain (the
///   client does not read), nothing more is read from it, so PING and SETTINGS acks cannot
///   pile up;
/// - header blocks: `maxHeaderListBytes` decoded, and as sent, with at most
///   `continuationFramesMax` CONTINUATION frames;
/// - floods and idleness: `FloodGuard`'s rules, the handshake timeout and keepalive.
/// Everything runs on the channel's event loop, but answers made on a member's apply thread,
/// which arrive through a mailbox.
///
/// The server's SETTINGS wait for the client's preface: a client whose first bytes cannot be
/// it but start like an HTTP/1.1 request line is handed to `FrontHTTP1Handler`, as etcd's cmux
/// shares its client port between gRPC and HTTP/1.1 (/metrics, /health, /version).
final class FrontConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Stream {
        /// A unary call being read: its path and counters, the caller's token and the body so far.
        case reading(path: String, counters: GRPCCallCounters, credentials: Credentials, body: [UInt8])
        /// A unary call whose request is whole, waiting for its turn (`FrontLimits.runningCallsMax`).
        case waiting(path: String, counters: GRPCCallCounters, credentials: Credentials, request: [UInt8])
        /// A unary call whose request is whole; its answer is on the way.
        case answering(GRPCCallCounters)
        /// A unary call the client reset while it ran: it counts against the stream limit until
        /// its answer comes back, so resets cannot start more calls than the limit.
        case abandoned(GRPCCallCounters)
        /// A call relayed to the full server, on this stream there.
        case relayed(HTTP2StreamID)
    }

    let routes: UnaryKVRoutes
    let requestBytesMax: Int
    let limits: FrontLimits
    let backend: SocketAddress
    let stats: FrontStats
    /// The unary calls' counters, and what HTTP/1.1 clients are answered.
    let grpcMetrics: GRPCServerMetrics
    let http1: (endpoints: OperatorEndpoints, limits: GatewayLimits)
    let number: Int
    var context: ChannelHandlerContext?
    var streams: [UInt32: Stream] = [:]
    /// The highest stream the client has opened.
    private var lastStreamID: UInt32 = 0
    var relay: Relay?
    var outbound = OutboundStreams()
    var flood: FloodGuard
    private var decoder: HPACKDecoder
    private var reader: HTTP2Wire.Reader
    private var prefaceRead = false
    private var settingsRead = false
    private var started = false
    var out = ByteBufferAllocator().buffer(capacity: 1024)
    private var reading = false
    private var flushPending = false
    /// The client's send window on the connection, as this side counts it.
    private var receiveWindow = HTTP2Wire.defaultWindowBytes
    /// Request bytes handed on (or dropped) and not yet given back to the client's window.
    var consumedUnreturned = 0
    /// Request bytes read and not yet handed on: unary bodies, relayed DATA not yet written.
    var requestBytesHeld = 0
    /// Calls waiting for their turn, oldest first (a stream reset meanwhile is skipped).
    var waitingCalls: [UInt32] = []
    /// Where the queue starts in `waitingCalls`.
    var waitingHead = 0
    /// Puts read in the current read, started once it is done.
    var putsAfterRead: [UInt32] = []
    /// Calls other than puts started and not yet answered (or abandoned).
    var runningCalls = 0
    /// The streams of running calls other than puts.
    var countedCalls: Set<UInt32> = []
    /// A read the pipeline asked for while the socket was not draining.
    private var readHeld = false
    private var lastReadAt = NIODeadline.now()
    private var keepalivePingSentAt: NIODeadline?
    private var timer: Scheduled<Void>?
    private var heldBytesMax = 0
    /// A GOAWAY was sent: the connection closes once it is written.
    private var goingAway = false
    /// Answers made on other threads (a member's apply thread), waiting for the event loop.
    let mailbox = Locked(Mailbox())

    struct Mailbox {
        var answers: [(UInt32, Answer)] = []
        /// A task that writes them is queued on the event loop.
        var drainQueued = false
    }

    /// A connection error: the GOAWAY code and what was wrong.
    struct ConnectionError: Error {
        var code: UInt32
        var reason: String
    }

    /// The opaque data of the server's keepalive PINGs.
    static let keepalivePingData: UInt64 = 0x7261_6674_746f_7021

    init(routes: UnaryKVRoutes, requestBytesMax: Int, limits: FrontLimits, backend: SocketAddress, stats: FrontStats,
         http1: (endpoints: OperatorEndpoints, limits: GatewayLimits)) {
        self.routes = routes
        self.http1 = http1
        grpcMetrics = http1.endpoints.grpcMetrics
        self.requestBytesMax = requestBytesMax
        self.limits = limits
        self.backend = backend
        self.stats = stats
        number = stats.opened()
        flood = FloodGuard(limits: limits)
        decoder = HPACKDecoder(allocator: ByteBufferAllocator(), maxDynamicTableSize: HPACKDecoder.maxDynamicTableSize,
                               maxHeaderListSize: limits.maxHeaderListBytes)
        // A block as sent is seldom larger than decoded; twice the list size leaves room for any encoding.
        reader = HTTP2Wire.Reader(headerBlockBytesMax: 2 * limits.maxHeaderListBytes, continuationFramesMax: limits.continuationFramesMax)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { begin() }
    }

    func channelActive(context: ChannelHandlerContext) {
        begin()
        context.fireChannelActive()
    }

    /// The handshake's clock: the client's preface (or an HTTP/1.1 request) must come within it.
    private func begin() {
        guard !started, let context else { return }
        started = true
        schedule(in: limits.handshakeTimeout, context: context)
    }

    /// The server's preface, once the client's has come: its settings and the connection window.
    private func sendServerPreface() {
        HTTP2Wire.writeSettings(&out, [
            (HTTP2Wire.Setting.maxConcurrentStreams, UInt32(limits.maxConcurrentStreams)),
            (HTTP2Wire.Setting.initialWindowSize, UInt32(limits.streamWindowBytes)),
            (HTTP2Wire.Setting.maxHeaderListSize, UInt32(limits.maxHeaderListBytes)),
        ])
        if limits.requestBytesHeldMax > HTTP2Wire.defaultWindowBytes {
            HTTP2Wire.writeWindowUpdate(&out, stream: 0, increment: limits.requestBytesHeldMax - HTTP2Wire.defaultWindowBytes)
            receiveWindow = limits.requestBytesHeldMax
        }
        flushSoon()
    }

    // MARK: Frames in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !goingAway else { return }  // after GOAWAY, bytes are read only to be dropped
        var bytes = unwrapInboundIn(data)
        reader.append(&bytes)
        lastReadAt = .now()
        reading = true
        defer { reading = false }
        do throws(ConnectionError) {
            while let frame = try nextFrame() { try handle(frame) }
        } catch {
            goAway(error)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        startCallsAfterRead()
        if flushPending { flushNow() }
        countHeldBytes()
        context.fireChannelReadComplete()
    }

    /// The next whole frame read, after the client's preface.
    private func nextFrame() throws(ConnectionError) -> HTTP2Wire.Frame? {
        if !prefaceRead {
            if let unread = reader.unread, Self.isHTTP1(unread) {
                switchToHTTP1()
                return nil
            }
            guard var preface = reader.take(HTTP2Wire.preface.utf8.count) else { return nil }
            guard preface.readString(length: preface.readableBytes) == HTTP2Wire.preface else {
                throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "the client did not start with HTTP/2's preface")
            }
            prefaceRead = true
            sendServerPreface()
        }
        do throws(HTTP2Wire.FrameTooLarge) {
            return try reader.nextFrame()
        } catch {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.frameSizeError,
                                  reason: "a \(error.bytes)-byte frame, over the \(HTTP2Wire.maxFrameBytes)-byte limit")
        }
    }

    /// Whether a client's first bytes differ from HTTP/2's preface and start as an HTTP/1.1
    /// request line does: an upper-case method name.
    static func isHTTP1(_ bytes: ByteBufferView) -> Bool {
        guard let first = bytes.first, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) else { return false }
        return !bytes.prefix(HTTP2Wire.preface.utf8.count).elementsEqual(HTTP2Wire.preface.utf8.prefix(bytes.count))
    }

    /// Hands the connection, and the bytes read so far, to HTTP/1.1 (`FrontHTTP1Handler`).
    private func switchToHTTP1() {
        guard let context else { return }
        timer?.cancel()
        timer = nil
        goingAway = true  // nothing more is read here
        let bytes = reader.takeAll()
        do {
            try FrontHTTP1Handler.addHandlers(to: context.pipeline.syncOperations, after: self, endpoints: http1.endpoints,
                                              limits: http1.limits)
        } catch {
            context.close(promise: nil)
            return
        }
        stats.update(number) { $0.http1 = true }
        let (stats, number) = (stats, number)
        context.channel.closeFuture.whenComplete { _ in stats.closed(number) }
        let pipeline = context.pipeline.syncOperations
        pipeline.removeHandler(context: context, promise: nil)
        // From the pipeline's head, which this handler has left: to the HTTP/1.1 decoder.
        if let bytes { pipeline.fireChannelRead(NIOAny(bytes)) }
    }

    private func handle(_ frame: HTTP2Wire.Frame) throws(ConnectionError) {
        if !settingsRead {
            // The client's preface ends with SETTINGS (RFC 9113, 3.4).
            guard frame.type == HTTP2Wire.FrameType.settings.rawValue, !frame.has(HTTP2Wire.Flags.ack) else {
                throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "the client's preface did not end with SETTINGS")
            }
            settingsRead = true
            if let context { schedule(in: limits.keepaliveInterval, context: context) }
        }
        let headerBlock: HTTP2Wire.Reader.HeaderBlock
        do throws(HTTP2Wire.Violation) {
            headerBlock = try reader.headerBlock(frame)
        } catch {
            throw ConnectionError(code: error.code, reason: error.reason)
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
            try check(flood.overhead(at: .now))
            try resetArrived(frame)
        case .settings:
            try check(flood.overhead(at: .now))
            guard !frame.has(HTTP2Wire.Flags.ack) else { return }
            try settingsArrived(frame.payload)
        case .ping:
            guard frame.payload.readableBytes == 8 else {
                throw ConnectionError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "a PING of \(frame.payload.readableBytes) bytes")
            }
            guard !frame.has(HTTP2Wire.Flags.ack) else {
                if frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt64.self) == Self.keepalivePingData {
                    keepalivePingSentAt = nil
                } else {
                    try check(flood.overhead(at: .now))
                }
                return
            }
            try check(flood.ping(at: .now, openStreams: streams.count))
            var payload = frame.payload
            HTTP2Wire.writeFrameHeader(&out, length: 8, type: .ping, flags: HTTP2Wire.Flags.ack, stream: 0)
            out.writeBuffer(&payload)
            flushSoon()
        case .goAway:
            // The client opens no more streams; it has what it waited for, or gave up on it.
            context?.close(promise: nil)
        case .windowUpdate:
            try check(flood.overhead(at: .now))
            let increment = Int((frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self) ?? 0) & 0x7fff_ffff)
            guard increment > 0 || frame.stream != 0 else {
                throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a WINDOW_UPDATE of 0 on the connection")
            }
            guard outbound.windowUpdate(stream: frame.stream, increment: increment) else {
                throw ConnectionError(code: HTTP2Wire.ErrorCode.flowControlError, reason: "a window past 2^31-1")
            }
            sendQueued()
        case .pushPromise:
            throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a client may not send PUSH_PROMISE")
        case .priority, nil:
            // PRIORITY and unknown frame types are ignored, as HTTP/2 asks, but not for free.
            try check(flood.overhead(at: .now))
        case .headers, .continuation:
            break  // Header blocks are whole by now.
        }
    }

    /// Throws the flood a verdict names.
    func check(_ verdict: FloodGuard.Verdict) throws(ConnectionError) {
        if case .flood(let reason) = verdict {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.enhanceYourCalm, reason: reason)
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
            flood.streamOpened()
            // Over the stream limit, or with answers piling up for a client that does not read:
            // no new call. The client may try again (REFUSED_STREAM is safe to retry).
            guard streams.count < limits.maxConcurrentStreams, outbound.queuedBytes <= limits.writeQuotaBytes else {
                HTTP2Wire.writeRstStream(&out, stream: id, code: HTTP2Wire.ErrorCode.refusedStream)
                flushSoon()
                return try check(flood.reset(at: .now))
            }
            let path = headers.first(name: ":path") ?? ""
            if let counters = grpcMetrics.unaryKV[path] {
                outbound.open(id)
                // etcd's clients send Authenticate's token as the `token` metadata.
                let credentials: Credentials = headers.first(name: "token").map { .token($0) } ?? .none
                streams[id] = .reading(path: path, counters: counters, credentials: credentials, body: [])
                if endStream { requestRead(id) }
            } else {
                outbound.open(id, reportingWrites: true)
                startRelay(id, headers: headers, endStream: endStream)
            }
        case .relayed(let backID):
            toBackend(HTTP2Frame(streamID: backID, payload: .headers(.init(headers: headers, endStream: endStream))))
        case .reading:
            // Trailers from the client end its request.
            if endStream { requestRead(id) }
        case .waiting, .answering, .abandoned:
            break
        }
    }

    private func dataArrived(_ frame: HTTP2Wire.Frame) throws(ConnectionError) {
        // Flow control counts the whole payload, padding included, whatever stream it is for.
        let length = frame.payload.readableBytes
        receiveWindow -= length
        guard receiveWindow >= 0 else {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.flowControlError,
                                  reason: "DATA past the connection's window (\(limits.requestBytesHeldMax) bytes not yet handed on)")
        }
        guard let payload = HTTP2Wire.unpadded(frame) else {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a DATA frame with more padding than payload")
        }
        let id = frame.stream
        let endStream = frame.has(HTTP2Wire.Flags.endStream)
        if payload.readableBytes == 0 && !endStream { try check(flood.overhead(at: .now)) }
        // Padding is dropped at once; the payload is held until it is handed on.
        consume(length - payload.readableBytes)
        switch streams[id] {
        case .reading(let path, let counters, let credentials, var body):
            guard body.count + payload.readableBytes <= requestBytesMax else {
                streams[id] = .answering(counters)
                counters.callStarted()
                consume(body.count + payload.readableBytes)
                requestBytesHeld -= body.count
                return answer(id, with: .failure(.grpcStatus(code: 8, message: "grpc: received message larger than max (\(body.count + payload.readableBytes) vs. \(requestBytesMax))")))
            }
            body.append(contentsOf: payload.readableBytesView)
            requestBytesHeld += payload.readableBytes
            streams[id] = .reading(path: path, counters: counters, credentials: credentials, body: body)
            // A request that fits in half the stream's window (all but the largest) needs none
            // of it back: the stream ends with it.
            if body.count > limits.streamWindowBytes / 2 { giveBackStreamWindow(id, length, endStream: endStream) }
            if endStream { requestRead(id) }
        case .relayed(let backID):
            toBackend(HTTP2Frame(streamID: backID, payload: .data(.init(data: .byteBuffer(payload), endStream: endStream))),
                      heldBytes: payload.readableBytes, stream: endStream ? nil : id)
        case .waiting, .answering, .abandoned, nil:
            consume(payload.readableBytes)
        }
    }

    private func resetArrived(_ frame: HTTP2Wire.Frame) throws(ConnectionError) {
        let code = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self) ?? 0
        guard frame.stream != 0, frame.stream <= lastStreamID || frame.stream % 2 == 0 else {
            throw ConnectionError(code: HTTP2Wire.ErrorCode.protocolError, reason: "RST_STREAM on stream \(frame.stream), never opened")
        }
        switch streams[frame.stream] {
        case nil:
            return
        case .reading(_, _, _, let body):
            consume(body.count)
            requestBytesHeld -= body.count
            streams.removeValue(forKey: frame.stream)
        case .waiting(_, _, _, let request):
            requestBytesHeld -= request.count
            consume(request.count)
            streams.removeValue(forKey: frame.stream)
        case .answering(let counters):
            streams[frame.stream] = .abandoned(counters)
        case .abandoned:
            return
        case .relayed(let backID):
            toBackend(HTTP2Frame(streamID: backID, payload: .rstStream(HTTP2ErrorCode(networkCode: Int(code)))))
            relay?.frontStreams.removeValue(forKey: backID)
            streams.removeValue(forKey: frame.stream)
            flushSoon()  // the answers it dropped go back to the full server's window
        }
        outbound.close(frame.stream)
        try check(flood.reset(at: .now))
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

    /// `bytes` of the client's request data were handed on or dropped: they go back to its
    /// connection window once half the window is so spent.
    func consume(_ bytes: Int) {
        guard bytes > 0 else { return }
        consumedUnreturned += bytes
        guard consumedUnreturned >= max(limits.requestBytesHeldMax, HTTP2Wire.defaultWindowBytes) / 2 else { return }
        HTTP2Wire.writeWindowUpdate(&out, stream: 0, increment: consumedUnreturned)
        receiveWindow += consumedUnreturned
        consumedUnreturned = 0
        flushSoon()
    }

    /// Ends the connection for a protocol error or a flood: GOAWAY with what was wrong, then close.
    func goAway(_ error: ConnectionError) {
        let reason = Array(error.reason.utf8.prefix(256))
        HTTP2Wire.writeFrameHeader(&out, length: 8 + reason.count, type: .goAway, flags: 0, stream: 0)
        out.writeInteger(lastStreamID)
        out.writeInteger(error.code)
        out.writeBytes(reason)
        stats.update(number) {
            $0.goAwayCode = error.code
            $0.goAwayReason = error.reason
        }
        goingAway = true
        guard let context, context.channel.isActive else { return }
        // The GOAWAY, then the end of this side's output, so the client reads both in order;
        // what it still sends is read and dropped until it closes, or for a second: closing
        // with its bytes unread would reset the connection, and a reset can take the GOAWAY
        // with it before the client reads it.
        let bytes = out
        out = context.channel.allocator.buffer(capacity: 0)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in channel.close(mode: .output, promise: nil) }
    }

    // MARK: Writing

    /// Writes `item` on stream `id` now, or after what the stream already has waiting for a window.
    func send(_ item: OutboundStreams.Item, on id: UInt32) {
        outbound.send(item, on: id, into: &out)
    }

    /// Writes what waited for a window that has since opened.
    private func sendQueued() {
        outbound.writeWaiting(into: &out)
        if !reading { startWaitingCalls() }
        flushSoon()
    }

    /// Writes what is buffered now, or, inside a read, once the read is done.
    func flushSoon() {
        if reading { flushPending = true } else { flushNow() }
    }

    private func flushNow() {
        flushPending = false
        flood.answered(frames: outbound.takeFramesWritten())
        relayAnswersWritten(outbound.takeWritten())
        // What is held is counted after every change outside a read (a read counts at its end),
        // whether or not anything could be written.
        defer { if !reading { countHeldBytes() } }
        guard out.readableBytes > 0, let context, context.channel.isActive else { return }
        let bytes = out
        out = context.channel.allocator.buffer(capacity: 1024)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    // MARK: Reading only while the client reads

    func read(context: ChannelHandlerContext) {
        guard context.channel.isWritable || goingAway else {
            readHeld = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && readHeld {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: What the connection holds

    /// Every byte held for this connection: read and not yet handled, request bodies not yet
    /// handed on, answers not yet written to the socket or not yet taken by the kernel.
    var heldBytes: Int {
        let socketBytes = (try? context?.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        return reader.bufferedBytes + requestBytesHeld + relayQueuedBytes + out.readableBytes + outbound.queuedBytes + socketBytes
    }

    private func countHeldBytes() {
        let held = heldBytes
        let streamCount = streams.count
        let queued = outbound.queuedBytes
        heldBytesMax = max(heldBytesMax, held)
        let most = heldBytesMax
        stats.update(number) {
            $0.heldBytes = held
            $0.heldBytesMax = most
            $0.answerBytesQueued = queued
            $0.openStreams = streamCount
        }
    }

    // MARK: Timers: the handshake, then keepalive

    private func schedule(in delay: Duration, context: ChannelHandlerContext) {
        timer?.cancel()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) { handler.value.timerFired() }
    }

    private func timerFired() {
        guard let context, context.channel.isActive else { return }
        let now = NIODeadline.now()
        guard settingsRead else {
            stats.update(number) { $0.goAwayReason = "no HTTP/2 preface and SETTINGS within \(limits.handshakeTimeout)" }
            context.close(promise: nil)
            return
        }
        if let sentAt = keepalivePingSentAt {
            // Anything read since the PING shows the client is there; an ack clears it too.
            guard lastReadAt > sentAt else {
                return goAway(ConnectionError(code: HTTP2Wire.ErrorCode.noError,
                                              reason: "keepalive PING unanswered for \(limits.keepaliveTimeout)"))
            }
            keepalivePingSentAt = nil
        }
        let idle = now - lastReadAt
        let interval = TimeAmount.nanoseconds(limits.keepaliveInterval.nanoseconds)
        guard idle >= interval else { return schedule(in: .nanoseconds((interval - idle).nanoseconds), context: context) }
        HTTP2Wire.writeFrameHeader(&out, length: 8, type: .ping, flags: 0, stream: 0)
        out.writeInteger(Self.keepalivePingData)
        keepalivePingSentAt = now
        flushNow()
        schedule(in: limits.keepaliveTimeout, context: context)
    }

    // MARK: The connection's end

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        relay?.channel?.close(promise: nil)
        relay = nil
        streams = [:]
        outbound = OutboundStreams()
        stats.closed(number)
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

extension Duration {
    /// The whole duration in nanoseconds (saturating past about 292 years).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
