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
    static let frameHeaderBytes = 9
    /// The largest frame this side accepts (it announces no other, so the protocol's default).
    static let maxFrameBytes = 16_384

    private enum FrameType: UInt8 {
        case data = 0, headers, priority, rstStream, settings, pushPromise, ping, goAway, windowUpdate, continuation
    }

    private enum Flags {
        static let endStream: UInt8 = 0x1
        static let ack: UInt8 = 0x1
        static let endHeaders: UInt8 = 0x4
        static let padded: UInt8 = 0x8
        static let priority: UInt8 = 0x20
    }

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
    /// A header block whose CONTINUATION frames are still to come: its stream, END_STREAM, the bytes so far.
    private var continuing: (stream: UInt32, endStream: Bool, block: ByteBuffer)?
    private var inbound: ByteBuffer?
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
        out.writeString("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        writeFrameHeader(length: 18, type: .settings, flags: 0, stream: 0)
        for (id, value) in [(UInt16(0x2), UInt32(0)), (0x4, UInt32(Self.streamWindowBytes)), (0x6, UInt32(1 << 16))] {
            out.writeInteger(id)
            out.writeInteger(value)
        }
        writeWindowUpdate(stream: 0, increment: Self.connectionWindowBytes - 65_535)
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
        func integer(_ value: Int, prefixBits: Int, firstByte: UInt8) {
            let limit = (1 << prefixBits) - 1
            guard value >= limit else { return block.append(firstByte | UInt8(value)) }
            block.append(firstByte | UInt8(limit))
            var rest = value - limit
            while rest >= 128 {
                block.append(UInt8(rest & 0x7f) | 0x80)
                rest >>= 7
            }
            block.append(UInt8(rest))
        }
        func string(_ text: String) {
            integer(text.utf8.count, prefixBits: 7, firstByte: 0)
            block.append(contentsOf: text.utf8)
        }
        // Literal without indexing, the name by its static-table index.
        func literal(nameIndex: Int, _ value: String) {
            integer(nameIndex, prefixBits: 4, firstByte: 0)
            string(value)
        }
        literal(nameIndex: 4, path)             // :path
        literal(nameIndex: 1, authority)        // :authority
        literal(nameIndex: 31, "application/grpc")  // content-type
        block.append(0)                          // te: a literal name too
        string("te")
        string("trailers")
        headerBlocks[path] = block
        return block
    }

    // MARK: Frames in

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if inbound == nil {
            inbound = bytes
        } else {
            inbound!.writeBuffer(&bytes)
        }
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

    private struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: ByteBuffer
    }

    /// The next whole frame read, if one has arrived.
    private func nextFrame() throws(UnaryCallError) -> Frame? {
        guard var buffer = inbound else { return nil }
        inbound = nil
        defer {
            if buffer.readableBytes > 0 {
                if buffer.readerIndex > 65_536 { buffer.discardReadBytes() }
                inbound = buffer
            }
        }
        guard buffer.readableBytes >= Self.frameHeaderBytes,
              let lengthAndType = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let length = Int(lengthAndType >> 8)
        guard length <= Self.maxFrameBytes else {
            throw .connection("the server sent a \(length)-byte frame, over HTTP/2's \(Self.maxFrameBytes)-byte limit")
        }
        guard buffer.readableBytes >= Self.frameHeaderBytes + length else { return nil }
        let flags = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self)!
        let stream = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt32.self)! & 0x7fff_ffff
        buffer.moveReaderIndex(forwardBy: Self.frameHeaderBytes)
        let payload = buffer.readSlice(length: length)!
        return Frame(type: UInt8(lengthAndType & 0xff), flags: flags, stream: stream, payload: payload)
    }

    private func handle(_ frame: Frame) throws(UnaryCallError) {
        var payload = frame.payload
        if let continuing {
            guard frame.type == FrameType.continuation.rawValue, frame.stream == continuing.stream else {
                throw .connection("the server broke HTTP/2: a header block on stream \(continuing.stream) was cut off")
            }
            self.continuing!.block.writeBuffer(&payload)
            if frame.flags & Flags.endHeaders != 0 {
                let done = self.continuing!
                self.continuing = nil
                try headersArrived(stream: done.stream, endStream: done.endStream, block: done.block)
            }
            return
        }
        switch FrameType(rawValue: frame.type) {
        case .data:
            try dataArrived(frame, payload: &payload)
        case .headers:
            try stripPadding(frame, &payload)
            if frame.flags & Flags.priority != 0 {
                guard payload.readableBytes >= 5 else { throw .connection("the server sent a HEADERS frame too short for its priority") }
                payload.moveReaderIndex(forwardBy: 5)
            }
            let endStream = frame.flags & Flags.endStream != 0
            if frame.flags & Flags.endHeaders != 0 {
                try headersArrived(stream: frame.stream, endStream: endStream, block: payload)
            } else {
                continuing = (frame.stream, endStream, payload)
            }
        case .rstStream:
            let code = payload.readInteger(as: UInt32.self) ?? 0
            removeFromSending(frame.stream)
            if let call = pending.removeValue(forKey: frame.stream) {
                answered.append((call.call.answer, .failure(.connection("stream reset: \(Self.errorName(code))"))))
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
            let reason = "the server went away (\(Self.errorName(code)))"
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
        case .continuation:
            throw .connection("the server broke HTTP/2: a CONTINUATION frame with no header block before it")
        case .priority, nil:
            break  // PRIORITY and unknown frame types are ignored, as HTTP/2 asks.
        }
    }

    private func stripPadding(_ frame: Frame, _ payload: inout ByteBuffer) throws(UnaryCallError) {
        guard frame.flags & Flags.padded != 0 else { return }
        guard let padding = payload.readInteger(as: UInt8.self), Int(padding) <= payload.readableBytes else {
            throw .connection("the server sent a frame with more padding than payload")
        }
        payload = payload.getSlice(at: payload.readerIndex, length: payload.readableBytes - Int(padding))!
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
            writeFrameHeader(length: 4, type: .rstStream, flags: 0, stream: id)
            out.writeInteger(UInt32(0x8))  // CANCEL
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
                writeFrameHeader(length: 4, type: .rstStream, flags: 0, stream: id)
                out.writeInteger(UInt32(0x8))  // CANCEL
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

    private func writeFrameHeader(length: Int, type: FrameType, flags: UInt8, stream: UInt32) {
        precondition(length < 1 << 24, "an HTTP/2 frame is under 16 MiB")
        out.writeInteger(UInt32(length) << 8 | UInt32(type.rawValue))
        out.writeInteger(flags)
        out.writeInteger(stream)
    }

    private func writeWindowUpdate(stream: UInt32, increment: Int) {
        writeFrameHeader(length: 4, type: .windowUpdate, flags: 0, stream: stream)
        out.writeInteger(UInt32(increment))
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

    private static func errorName(_ code: UInt32) -> String {
        let names = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
                     "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
                     "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
        return code < names.count ? names[Int(code)] : "error code \(code)"
    }
}
