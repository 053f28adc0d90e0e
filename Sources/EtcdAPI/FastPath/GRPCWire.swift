import NIOCore
import NIOHPACK

/// gRPC over HTTP/2 at the level of frames, for the unary calls the front server answers itself
/// and the unary-call client: a message is a 1-byte compression flag (0), a 4-byte big-endian
/// length and the bytes; an answer is response headers, the message, then trailers carrying
/// grpc-status and a percent-encoded grpc-message (or trailers alone for an error).
enum GRPCWire {
    static let prefixBytes = 5

    /// `message` behind its length prefix.
    static func framed(_ message: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: prefixBytes + message.count)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
        return buffer
    }

    /// The one uncompressed message a unary body holds, or nil when it holds anything else.
    static func onlyMessage(in body: [UInt8]) -> ArraySlice<UInt8>? {
        guard body.count >= prefixBytes, body[0] == 0 else { return nil }
        let length = body[1...4].reduce(0) { $0 << 8 | Int($1) }
        guard body.count == prefixBytes + length else { return nil }
        return body[prefixBytes...]
    }

    static let responseHeaders: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]

    /// `headers` as an HPACK block of literals that do not enter the peer's dynamic table.
    static func block(_ headers: HPACKHeaders) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value, _) in headers { HTTP2Wire.appendLiteral(name: name, value: value, to: &block) }
        return block
    }

    static let responseHeaderBlock = block(responseHeaders)
    static let okTrailerBlock = block(trailers(code: 0, message: ""))

    static func trailers(code: Int, message: String) -> HPACKHeaders {
        var headers: HPACKHeaders = ["grpc-status": String(code)]
        if !message.isEmpty { headers.add(name: "grpc-message", value: percentEncoded(message)) }
        return headers
    }

    /// An error answer: the response headers and trailers in one block.
    static func trailersOnly(code: Int, message: String) -> HPACKHeaders {
        var headers = responseHeaders
        headers.add(contentsOf: trailers(code: code, message: message))
        return headers
    }

    /// grpc-message is percent-encoded UTF-8: printable ASCII but `%` as is, every other byte as %XX.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%"), let high = utf8.next(), let low = utf8.next() else {
                bytes.append(byte)
                continue
            }
            if let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(contentsOf: [byte, high, low])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
