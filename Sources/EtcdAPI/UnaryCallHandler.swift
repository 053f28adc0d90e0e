import NIOCore
import NIOHPACK

/// The client side of HTTP/2 (RFC 9113) as far as unary gRPC calls need it, on the
/// connection's bytes: the preface and settings, HEADERS (and CONTINUATION) decoded with
/// HPACK, DATA, flow control both ways, PING, WINDOW_UPDATE, RST_STREAM and GOAWAY. Request
/// header blocks use no Huffman coding and no dynamic table, so they are encoded once per path.
/// Everything runs on the channel's event loop.
final class UnaryCallHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The stream window this side announces; a stream's window is topped up at half of it.
    static let streamWindowBytes = 1 << 20
    /// The connection window this side opens at the start (HTTP/2 begins every connection at
    /// 65,535); it is topped up at half of it.
    static let connectionWindowBytes = 1 << 24
    private typealias Flags = HTTP2Wire.Flags

    private struct Pending {
        var call: UnaryCall
        var body: [UInt8] = []
        var unackedBytes = 0
        var status: Int?
        var message = ""
        /// What the server lets this side send on the stream.
        var sendWindow: Int
        /// The request's bytes not yet sent (DATA waits for flow-control windows).
        var unsent: ByteBuffer
    }

    private let authority: String
    private var context: ChannelHandlerContext?
    private var nextStreamID: UInt32 = 1
    private var pending: [UInt32: Pending] = [:]
    /// Calls waiting for a stream: the server's MAX_CONCURRENT_STREAMS are all open.
    private var waiting: [UnaryCall] = []
    /// Streams with request bytes still to send, in the order they started.
    private var sending: [UInt32] = []
    /// Set once the connection can take no new calls, with the reason.
    private var closedReason: String?
    private var decoder = HPACKDecoder(allocator: ByteBufferAllocator(), maxDynamicTableSize: HPACKDecoder.maxDynamicTableSize,
                                       maxHeaderListSize: 1 << 16)
    private var headerBlocks: [String: [UInt8]] = [:]
    private var reader = HTTP2Wire.Reader()
    private var out: ByteBuffer
    private var reading = false
    private var flushPending = false
    private var answered: [(EventLoopPromise<[UInt8]>, Result<[UInt8], UnaryCallError>)] = []
    private var connectionUnacked = 0
    private var connectionSendWindow = 65_535
    private var peerInitialWindow = 65_535
    private var peerMaxFrame = 16_384
    private var peerMaxStreams = Int.max
    /// Calls wait for the server's first SETTINGS, which may limit how many streams are open.
    private var peerSettingsArrived = false
    private var deadlines: RepeatedTask?

    init(authority: String) {
        self.authority = authority
        out = ByteBufferAllocator().buffer(capacity: 1024)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { begin(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        begin(context: context)
        context.fireChannelActive()
    }

    /// The connection preface, this side's settings and its larger connection window; and the
    /// check of call deadlines, every 50 ms.
    private func begin(context: ChannelHandlerContext) {
        guard deadlines == nil else { return }
        out.writeString(HTTP2Wire.preface)
        HTTP2Wire.writeSettings(&out, [(HTTP2Wire.Setting.enablePush, 0), (HTTP2Wire.Setting.initialWindowSize, UInt32(Self.streamWindowBytes)),
                                       (HTTP2Wire.Setting.maxHeaderListSize, 1 << 16)])
        writeWindowUpdate(stream: 0, increment: Self.connectionWindowBytes - HTTP2Wire.defaultWindowBytes)
        flushNow()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        deadlines = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in
            handler.value.failExpired()
        }
    }

    // MARK: Calls out

    /// Starts `call` on a fresh stream, or queues it while the server's stream limit is reached.
    func start(_ call: UnaryCall) {
        if let closedReason {
            call.answer.fail(UnaryCallError.connection(closedReason))
            return
        }
        guard peerSettingsArrived && pending.count < peerMaxStreams else {
            waiting.append(call)
            return
        }
        guard nextStreamID <= UInt32(Int32.max) else {
            call.answer.fail(UnaryCallError.connection("this connection has used all its stream IDs; open a new one"))
            return
        }
        let id = nextStreamID
        nextStreamID += 2
        let block = headerBlock(for: call.path)
        writeFrameHeader(length: block.count, type: .headers, flags: Flags.endHeaders, stream: id)
        out.writeBytes(block)
        let body = GRPCWire.framed(call.message, allocator: context?.channel.allocator ?? ByteBufferAllocator())
        pending[id] = Pending(call: call, sendWindow: peerInitialWindow, unsent: body)
        sending.append(id)
        sendData()
        flushSoon()
    }

    /// Sends as much of the waiting request bytes as the windows allow, stream by stream in
    /// the order they started.
    private func sendData() {
        var stillSending: [UInt32] = []
        for id in sending {
            guard var call = pending[id] else { continue }
            while call.unsent.readableBytes > 0 {
                let size = min(call.unsent.readableBytes, connectionSendWindow, call.sendWindow, peerMaxFrame)
                guard size > 0 else { break }
                let last = size == call.unsent.readableBytes
                writeFrameHeader(length: size, type: .data, flags: last ? Flags.endStream : 0, stream: id)
                var chunk = call.unsent.readSlice(length: size)!
                out.writeBuffer(&chunk)
                connectionSendWindow -= size
                call.sendWindow -= size
            }
            if call.unsent.readableBytes > 0 { stillSending.append(id) }
            pending[id] = call
        }
        sending = stillSending
    }

    /// The request header block for `path`: `:method POST` and `:scheme http` from HPACK's
    /// static table, the rest as literals that do not enter the server's dynamic table.
    private func headerBlock(for path: String) -> [UInt8] {
        if let block = headerBlocks[path] { return block }
        var block: [UInt8] = [0x83, 0x86]  // :method POST, :scheme http
        HTTP2Wire.appendLiteral(nameIndex: 4, value: path, to: &block)                 // :path
        HTTP2Wire.appendLiteral(nameIndex: 1, value: authority, to: &block)            // :authority
        HTTP2Wire.appendLiteral(nameIndex: 31, value: "application/grpc", to: &block)  // content-type
        HTTP2Wire.appendLiteral(name: "te", value: "trailers", to: &block)
        headerBlocks[path] = block
        return block
    }

    // MARK: Frames in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        reader.append(&bytes)
        reading = true
        defer { reading = false }
        do throws(UnaryCallError) {
            while let frame = try nextFrame() { try handle(frame) }
        } catch {
            failAll("\(error)")
            context.close(promise: nil)
            return
        }
        resolveAnswered()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if flushPending { flushNow() }
        context.fireChannelReadComplete()
    }

    private typealias Frame = HTTP2Wire.Frame

    /// The next whole frame read, if one has arrived.
    private func nextFrame() throws(UnaryCallError) -> Frame? {
        do throws(HTTP2Wire.FrameTooLarge) {
            return try reader.nextFrame()
        } catch {
            throw .connection("the server sent a \(error.bytes)-byte frame, over HTTP/2's \(HTTP2Wire.maxFrameBytes)-byte limit")
        }
    }

    private func handle(_ frame: Frame) throws(UnaryCallError) {
        var payload = frame.payload
        let headerBlock: HTTP2Wire.Reader.HeaderBlock
        do throws(HTTP2Wire.Violation) {
            headerBlock = try reader.headerBlock(frame)
        } catch {
            throw .connection("the server broke HTTP/2: \(error.reason)")
        }
        switch headerBlock {
        case .partial: return
        case .whole(let stream, let endStream, let block): return try headersArrived(stream: stream, endStream: endStream, block: block)
        case .none: break
        }
        switch HTTP2Wire.FrameType(rawValue: frame.type) {
        case .data:
            try dataArrived(frame, payload: &payload)
        case .rstStream:
            let code = payload.readInteger(as: UInt32.self) ?? 0
            removeFromSending(frame.stream)
            if let call = pending.removeValue(forKey: frame.stream) {
                answered.append((call.call.answer, .failure(.connection("stream reset: \(HTTP2Wire.errorName(code))"))))
            }
            startWaiting()
        case .settings:
            guard frame.flags & Flags.ack == 0 else { return }
            try settingsArrived(&payload)
        case .ping:
            guard frame.flags & Flags.ack == 0, payload.readableBytes == 8 else { return }
            writeFrameHeader(length: 8, type: .ping, flags: Flags.ack, stream: 0)
            out.writeBuffer(&payload)
            flushSoon()
        case .goAway:
            let lastStream = (payload.readInteger(as: UInt32.self) ?? 0) & 0x7fff_ffff
            let code = payload.readInteger(as: UInt32.self) ?? 0
            let reason = "the server went away (\(HTTP2Wire.errorName(code)))"
            closedReason = closedReason ?? reason
            for id in pending.keys where id > lastStream {
                removeFromSending(id)
                if let call = pending.removeValue(forKey: id) { answered.append((call.call.answer, .failure(.connection(reason)))) }
            }
            for call in waiting { answered.append((call.answer, .failure(.connection(reason)))) }
            waiting = []
        case .windowUpdate:
            let increment = Int((payload.readInteger(as: UInt32.self) ?? 0) & 0x7fff_ffff)
            if frame.stream == 0 {
                connectionSendWindow += increment
            } else {
                pending[frame.stream]?.sendWindow += increment
            }
            sendData()
            flushSoon()
        case .pushPromise:
            throw .connection("the server broke HTTP/2: a PUSH_PROMISE, though this side disabled push")
        case .headers, .continuation, .priority, nil:
            break  // Header blocks are whole by now; PRIORITY and unknown frame types are ignored, as HTTP/2 asks.
        }
    }

    private func stripPadding(_ frame: Frame, _ payload: inout ByteBuffer) throws(UnaryCallError) {
        guard let unpadded = HTTP2Wire.unpadded(frame) else {
            throw .connection("the server sent a frame with more padding than payload")
        }
        payload = unpadded
    }

    private func dataArrived(_ frame: Frame, payload: inout ByteBuffer) throws(UnaryCallError) {
        // Flow control counts the whole payload, padding included.
        let length = payload.readableBytes
        connectionUnacked += length
        if connectionUnacked >= Self.connectionWindowBytes / 2 {
            writeWindowUpdate(stream: 0, increment: connectionUnacked)
            connectionUnacked = 0
            flushSoon()
        }
        try stripPadding(frame, &payload)
        let endStream = frame.flags & Flags.endStream != 0
        guard var call = pending[frame.stream] else { return }
        call.body.append(contentsOf: payload.readableBytesView)
        call.unackedBytes += length
        if !endStream && call.unackedBytes >= Self.streamWindowBytes / 2 {
            writeWindowUpdate(stream: frame.stream, increment: call.unackedBytes)
            call.unackedBytes = 0
            flushSoon()
        }
        pending[frame.stream] = call
        if endStream { finish(frame.stream) }
    }

    private func headersArrived(stream: UInt32, endStream: Bool, block: ByteBuffer) throws(UnaryCallError) {
        // Every block is decoded, whoever it is for, to keep HPACK's dynamic table in step.
        var block = block
        let headers: HPACKHeaders
        do {
            headers = try decoder.decodeHeaders(from: &block)
        } catch {
            throw .connection("the server's header block does not decode: \(error)")
        }
        guard pending[stream] != nil else { return }
        if let status = headers.first(name: "grpc-status") {
            pending[stream]?.status = Int(status) ?? 2
            pending[stream]?.message = GRPCWire.percentDecoded(headers.first(name: "grpc-message") ?? "")
        }
        if endStream { finish(stream) }
    }

    private func settingsArrived(_ payload: inout ByteBuffer) throws(UnaryCallError) {
        guard payload.readableBytes % 6 == 0 else { throw .connection("the server sent a SETTINGS frame of \(payload.readableBytes) bytes") }
        while let id = payload.readInteger(as: UInt16.self), let value = payload.readInteger(as: UInt32.self) {
            switch id {
            case 0x3:
                peerMaxStreams = Int(value)
            case 0x4:
                guard value <= UInt32(Int32.max) else { throw .connection("the server set an initial window of \(value), over 2^31-1") }
                let change = Int(value) - peerInitialWindow
                peerInitialWindow = Int(value)
                for id in pending.keys { pending[id]!.sendWindow += change }
            case 0x5:
                guard (16_384...16_777_215).contains(value) else { throw .connection("the server set a frame size of \(value)") }
                peerMaxFrame = Int(value)
            default:
                break
            }
        }
        writeFrameHeader(length: 0, type: .settings, flags: Flags.ack, stream: 0)
        peerSettingsArrived = true
        sendData()
        startWaiting()
        flushSoon()
    }

    /// A stream the server has ended: its answer, or the error it carries.
    private func finish(_ id: UInt32) {
        guard let call = pending.removeValue(forKey: id) else { return }
        if call.unsent.readableBytes > 0 {
            // The server answered before reading the whole request (a refusal): stop sending it.
            removeFromSending(id)
            HTTP2Wire.writeRstStream(&out, stream: id, code: HTTP2Wire.ErrorCode.cancel)
            flushSoon()
        }
        answered.append((call.call.answer, Self.outcome(of: call)))
        startWaiting()
    }

    private static func outcome(of call: Pending) -> Result<[UInt8], UnaryCallError> {
        guard let status = call.status else { return .failure(.connection("the stream ended without a grpc-status")) }
        guard status == 0 else { return .failure(.status(code: status, message: call.message)) }
        guard let message = GRPCWire.onlyMessage(in: call.body) else {
            return .failure(.connection("the answer is not one uncompressed gRPC message (\(call.body.count) bytes of body)"))
        }
        return .success(Array(message))
    }

    private func removeFromSending(_ id: UInt32) {
        if let at = sending.firstIndex(of: id) { sending.remove(at: at) }
    }

    /// Starts calls that waited for a stream, while the server's limit allows.
    private func startWaiting() {
        while !waiting.isEmpty && peerSettingsArrived && pending.count < peerMaxStreams && closedReason == nil {
            start(waiting.removeFirst())
        }
    }

    /// Resolves the calls answered in this read, once its frames are all handled: the calls
    /// their callbacks start are written together.
    private func resolveAnswered() {
        while !answered.isEmpty {
            let batch = answered
            answered = []
            for (promise, result) in batch {
                switch result {
                case .success(let message): promise.succeed(message)
                case .failure(let error): promise.fail(error)
                }
            }
        }
    }

    /// Fails the calls whose deadline has passed, and resets their streams.
    private func failExpired() {
        let now = NIODeadline.now()
        let expired = pending.filter { $0.value.call.deadline <= now }
        for (id, stream) in expired {
            pending.removeValue(forKey: id)
            removeFromSending(id)
            if closedReason == nil {
                HTTP2Wire.writeRstStream(&out, stream: id, code: HTTP2Wire.ErrorCode.cancel)
            }
            answered.append((stream.call.answer, .failure(stream.call.expired)))
        }
        if waiting.contains(where: { $0.deadline <= now }) {
            for call in waiting where call.deadline <= now { answered.append((call.answer, .failure(call.expired))) }
            waiting.removeAll { $0.deadline <= now }
        }
        guard !answered.isEmpty else { return }
        startWaiting()
        flushSoon()
        resolveAnswered()
    }

    // MARK: Writing

    private func writeFrameHeader(length: Int, type: HTTP2Wire.FrameType, flags: UInt8, stream: UInt32) {
        HTTP2Wire.writeFrameHeader(&out, length: length, type: type, flags: flags, stream: stream)
    }

    private func writeWindowUpdate(stream: UInt32, increment: Int) {
        HTTP2Wire.writeWindowUpdate(&out, stream: stream, increment: increment)
    }

    /// Writes what is buffered now, or, inside a read, once the read is done.
    private func flushSoon() {
        if reading { flushPending = true } else { flushNow() }
    }

    private func flushNow() {
        flushPending = false
        guard out.readableBytes > 0, let context else { return }
        let bytes = out
        out = context.channel.allocator.buffer(capacity: 1024)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    // MARK: The connection's end

    func channelInactive(context: ChannelHandlerContext) {
        failAll("the connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll("\(error)")
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll("the connection closed")
        self.context = nil
    }

    private func failAll(_ reason: String) {
        closedReason = closedReason ?? reason
        deadlines?.cancel()
        let failed = pending
        pending = [:]
        sending = []
        let queued = waiting
        waiting = []
        for stream in failed.values { answered.append((stream.call.answer, .failure(.connection(reason)))) }
        for call in queued { answered.append((call.answer, .failure(.connection(reason)))) }
        resolveAnswered()
    }
}
