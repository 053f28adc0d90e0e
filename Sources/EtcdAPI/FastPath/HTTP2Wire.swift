import NIOCore

/// HTTP/2 (RFC 9113) at the level of the connection's bytes, shared by the two ends that speak it
/// without NIO's HTTP/2 handler: the front server (`FrontConnectionHandler`) and the unary-call
/// client (`UnaryCallHandler`). Frames are read from and written to plain byte buffers; header
/// blocks this side sends are HPACK literals that never enter the peer's dynamic table, so they
/// need no encoder state.
enum HTTP2Wire {
    static let preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    static let frameHeaderBytes = 9
    /// The largest frame either end accepts: neither announces another, so the protocol's default.
    static let maxFrameBytes = 16_384
    /// Every connection's and stream's window before any SETTINGS or WINDOW_UPDATE.
    static let defaultWindowBytes = 65_535

    enum FrameType: UInt8 {
        case data = 0, headers, priority, rstStream, settings, pushPromise, ping, goAway, windowUpdate, continuation
    }

    enum Flags {
        static let endStream: UInt8 = 0x1
        static let ack: UInt8 = 0x1
        static let endHeaders: UInt8 = 0x4
        static let padded: UInt8 = 0x8
        static let priority: UInt8 = 0x20
    }

    enum Setting {
        static let headerTableSize: UInt16 = 0x1
        static let enablePush: UInt16 = 0x2
        static let maxConcurrentStreams: UInt16 = 0x3
        static let initialWindowSize: UInt16 = 0x4
        static let maxFrameSize: UInt16 = 0x5
        static let maxHeaderListSize: UInt16 = 0x6
    }

    enum ErrorCode {
        static let noError: UInt32 = 0x0
        static let protocolError: UInt32 = 0x1
        static let flowControlError: UInt32 = 0x3
        static let frameSizeError: UInt32 = 0x6
        static let refusedStream: UInt32 = 0x7
        static let cancel: UInt32 = 0x8
        static let compressionError: UInt32 = 0x9
        static let enhanceYourCalm: UInt32 = 0xb
    }

    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: ByteBuffer

        func has(_ flag: UInt8) -> Bool { flags & flag != 0 }
    }

    /// A frame announced as longer than `maxFrameBytes`.
    struct FrameTooLarge: Error {
        var bytes: Int
    }

    /// Takes the next whole frame off the front of `buffer`, or nil when it has not all arrived.
    static func nextFrame(from buffer: inout ByteBuffer) throws(FrameTooLarge) -> Frame? {
        guard buffer.readableBytes >= frameHeaderBytes,
              let lengthAndType = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let length = Int(lengthAndType >> 8)
        guard length <= maxFrameBytes else { throw FrameTooLarge(bytes: length) }
        guard buffer.readableBytes >= frameHeaderBytes + length else { return nil }
        let flags = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self)!
        let stream = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt32.self)! & 0x7fff_ffff
        buffer.moveReaderIndex(forwardBy: frameHeaderBytes)
        return Frame(type: UInt8(lengthAndType & 0xff), flags: flags, stream: stream, payload: buffer.readSlice(length: length)!)
    }

    /// A peer's frames that break the protocol, or a limit, and how.
    struct Violation: Error {
        var reason: String
        /// The GOAWAY code that fits.
        var code = ErrorCode.protocolError
    }

    /// The bytes read from a connection, taken off as whole frames, with each header block put
    /// back together from its HEADERS and CONTINUATION frames.
    struct Reader {
        private var buffer: ByteBuffer?
        /// A header block whose CONTINUATION frames are still to come, and how many it has had.
        private var continuing: (stream: UInt32, endStream: Bool, block: ByteBuffer, continuations: Int)?
        /// The most a header block may take, in bytes as sent and in CONTINUATION frames: a
        /// block that never ends, or ends past these, is refused as it grows.
        let headerBlockBytesMax: Int
        let continuationFramesMax: Int

        init(headerBlockBytesMax: Int = .max, continuationFramesMax: Int = .max) {
            self.headerBlockBytesMax = headerBlockBytesMax
            self.continuationFramesMax = continuationFramesMax
        }

        /// Bytes read and not yet taken off as frames, with a header block still being put together.
        var bufferedBytes: Int { (buffer?.readableBytes ?? 0) + (continuing?.block.readableBytes ?? 0) }

        enum HeaderBlock {
            /// The frame is not part of a header block.
            case none
            /// More of the block is to come in CONTINUATION frames.
            case partial
            case whole(stream: UInt32, endStream: Bool, block: ByteBuffer)
        }

        mutating func append(_ bytes: inout ByteBuffer) {
            if buffer == nil {
                buffer = bytes
            } else {
                buffer!.writeBuffer(&bytes)
            }
        }

        /// The first `count` bytes, once they have all arrived (a preface).
        mutating func take(_ count: Int) -> ByteBuffer? {
            guard let available = buffer?.readableBytes, available >= count else { return nil }
            return buffer!.readSlice(length: count)
        }

        /// The bytes read and not yet taken.
        var unread: ByteBufferView? { buffer?.readableBytesView }

        /// Every byte read and not yet taken, handed on (to HTTP/1.1, for a client that is not HTTP/2).
        mutating func takeAll() -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }

        /// The next whole frame, if one has arrived.
        mutating func nextFrame() throws(FrameTooLarge) -> Frame? {
            guard var bytes = buffer else { return nil }
            buffer = nil
            defer {
                if bytes.readableBytes > 0 {
                    if bytes.readerIndex > 65_536 { bytes.discardReadBytes() }
                    buffer = bytes
                }
            }
            return try HTTP2Wire.nextFrame(from: &bytes)
        }

        /// What `frame` adds to a header block: nothing, a part, or the last part of it.
        mutating func headerBlock(_ frame: Frame) throws(Violation) -> HeaderBlock {
            if let started = continuing {
                guard frame.type == FrameType.continuation.rawValue, frame.stream == started.stream else {
                    throw Violation(reason: "a header block on stream \(started.stream) was cut off")
                }
                var payload = frame.payload
                continuing!.continuations += 1
                guard continuing!.continuations <= continuationFramesMax,
                      continuing!.block.readableBytes + payload.readableBytes <= headerBlockBytesMax else {
                    throw Violation(reason: "a header block over \(continuationFramesMax) CONTINUATION frames or \(headerBlockBytesMax) bytes",
                                    code: ErrorCode.enhanceYourCalm)
                }
                continuing!.block.writeBuffer(&payload)
                guard frame.has(Flags.endHeaders) else { return .partial }
                let done = continuing!
                continuing = nil
                return .whole(stream: done.stream, endStream: done.endStream, block: done.block)
            }
            switch FrameType(rawValue: frame.type) {
            case .headers:
                guard frame.stream != 0 else { throw Violation(reason: "HEADERS on stream 0") }
                guard var block = unpadded(frame) else { throw Violation(reason: "a HEADERS frame with more padding than payload") }
                if frame.has(Flags.priority) {
                    guard block.readableBytes >= 5 else { throw Violation(reason: "a HEADERS frame too short for its priority") }
                    block.moveReaderIndex(forwardBy: 5)
                }
                let endStream = frame.has(Flags.endStream)
                guard block.readableBytes <= headerBlockBytesMax else {
                    throw Violation(reason: "a header block over \(headerBlockBytesMax) bytes", code: ErrorCode.enhanceYourCalm)
                }
                guard frame.has(Flags.endHeaders) else {
                    continuing = (frame.stream, endStream, block, 0)
                    return .partial
                }
                return .whole(stream: frame.stream, endStream: endStream, block: block)
            case .continuation:
                throw Violation(reason: "a CONTINUATION frame with no header block before it")
            default:
                return .none
            }
        }
    }

    /// The payload without its padding, for a frame flagged PADDED; nil when the padding is
    /// longer than the payload.
    static func unpadded(_ frame: Frame) -> ByteBuffer? {
        var payload = frame.payload
        guard frame.has(Flags.padded) else { return payload }
        guard let padding = payload.readInteger(as: UInt8.self), Int(padding) <= payload.readableBytes else { return nil }
        return payload.getSlice(at: payload.readerIndex, length: payload.readableBytes - Int(padding))
    }

    static func writeFrameHeader(_ out: inout ByteBuffer, length: Int, type: FrameType, flags: UInt8, stream: UInt32) {
        precondition(length < 1 << 24, "an HTTP/2 frame is under 16 MiB")
        out.writeInteger(UInt32(length) << 8 | UInt32(type.rawValue))
        out.writeInteger(flags)
        out.writeInteger(stream)
    }

    static func writeWindowUpdate(_ out: inout ByteBuffer, stream: UInt32, increment: Int) {
        writeFrameHeader(&out, length: 4, type: .windowUpdate, flags: 0, stream: stream)
        out.writeInteger(UInt32(increment))
    }

    static func writeRstStream(_ out: inout ByteBuffer, stream: UInt32, code: UInt32) {
        writeFrameHeader(&out, length: 4, type: .rstStream, flags: 0, stream: stream)
        out.writeInteger(code)
    }

    static func writeSettings(_ out: inout ByteBuffer, _ settings: [(UInt16, UInt32)]) {
        writeFrameHeader(&out, length: 6 * settings.count, type: .settings, flags: 0, stream: 0)
        for (id, value) in settings {
            out.writeInteger(id)
            out.writeInteger(value)
        }
    }

    /// A header block as HEADERS and, past `maxFrameBytes`, CONTINUATION frames.
    static func writeHeaders(_ out: inout ByteBuffer, stream: UInt32, block: [UInt8], endStream: Bool, maxFrameBytes: Int) {
        var start = 0
        repeat {
            let end = min(block.count, start + maxFrameBytes)
            var flags: UInt8 = end == block.count ? Flags.endHeaders : 0
            if start == 0 && endStream { flags |= Flags.endStream }
            writeFrameHeader(&out, length: end - start, type: start == 0 ? .headers : .continuation, flags: flags, stream: stream)
            out.writeBytes(block[start..<end])
            start = end
        } while start < block.count
    }

    /// HPACK's integer with an N-bit prefix, the rest of the first byte being `firstByte`.
    static func appendInteger(_ value: Int, prefixBits: Int, firstByte: UInt8, to block: inout [UInt8]) {
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

    /// An HPACK string literal, not Huffman coded.
    static func appendString(_ text: String, to block: inout [UInt8]) {
        appendInteger(text.utf8.count, prefixBits: 7, firstByte: 0, to: &block)
        block.append(contentsOf: text.utf8)
    }

    /// A header field as a literal without indexing, its name by static-table index.
    static func appendLiteral(nameIndex: Int, value: String, to block: inout [UInt8]) {
        appendInteger(nameIndex, prefixBits: 4, firstByte: 0, to: &block)
        appendString(value, to: &block)
    }

    /// A header field as a literal without indexing, its name spelled out.
    static func appendLiteral(name: String, value: String, to block: inout [UInt8]) {
        block.append(0)
        appendString(name, to: &block)
        appendString(value, to: &block)
    }

    static func errorName(_ code: UInt32) -> String {
        let names = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
                     "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
                     "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
        return code < names.count ? names[Int(code)] : "error code \(code)"
    }
}
