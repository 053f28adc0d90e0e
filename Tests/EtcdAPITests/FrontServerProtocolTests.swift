@testable import EtcdAPI
import Foundation
import NIOCore
import NIOHPACK
import NIOPosix
import Synchronization
import Testing

/// The front server's HTTP/2, frame by frame, from a client that writes raw bytes: what etcd's
/// and grpc-swift's clients seldom do (a tiny window, a header block split across CONTINUATION,
/// padded DATA, PINGs) and what they never do (frames over the size limit, a bad preface,
/// undecodable headers), each forced here.
@Suite struct FrontServerProtocolTests {
    @Test func anAnswerWaitsForTheClientsWindowAndFinishesOnceItOpens() async throws {
        try await APIHarness.with(members: 1) { api in
            let value = [UInt8](repeating: UInt8(ascii: "w"), count: 1000)
            try await api.withKV { kv in
                var put = Etcdserverpb_PutRequest()
                put.key = Data("wide".utf8)
                put.value = Data(value)
                _ = try await kv.put(put)
            }
            let client = try await RawHTTP2Client.connect(port: api.port(of: 1), initialWindow: 10)
            var range = Etcdserverpb_RangeRequest()
            range.key = Data("wide".utf8)
            client.call(stream: 1, path: "/etcdserverpb.KV/Range", message: try range.serializedBytes())
            let headers = try await client.frame(on: 1)
            #expect(headers.type == HTTP2Wire.FrameType.headers.rawValue && !headers.has(HTTP2Wire.Flags.endStream))
            var body: [UInt8] = []
            while body.count < 10 {
                let data = try await client.frame(on: 1)
                #expect(data.type == HTTP2Wire.FrameType.data.rawValue)
                body += Array(data.payload.readableBytesView)
            }
            // Whatever the server wrote with those 10 bytes arrives before the PING's ack.
            try await client.ping()
            #expect(body.count == 10, "the answer overran the client's 10-byte window")
            #expect(client.pending(on: 1).isEmpty, "the answer went on past the client's window")

            client.windowUpdate(stream: 1, increment: 1 << 20)
            var trailers: HPACKHeaders = [:]
            while trailers.isEmpty {
                let frame = try await client.frame(on: 1)
                if frame.type == HTTP2Wire.FrameType.data.rawValue {
                    body += Array(frame.payload.readableBytesView)
                } else {
                    #expect(frame.has(HTTP2Wire.Flags.endStream))
                    trailers = try client.decode(frame)
                }
            }
            #expect(trailers.first(name: "grpc-status") == "0")
            let message = try #require(GRPCWire.onlyMessage(in: body))
            let answer = try Etcdserverpb_RangeResponse(serializedBytes: Array(message))
            #expect(answer.kvs.first.map { Array($0.value) } == value)
            await client.close()
        }
    }

    @Test func headersOverContinuationAndPaddedDataAreRead() async throws {
        try await APIHarness.with(members: 1) { api in
            let client = try await RawHTTP2Client.connect(port: api.port(of: 1))
            var put = Etcdserverpb_PutRequest()
            put.key = Data("split".utf8)
            put.value = Data("padded".utf8)
            let block = RawHTTP2Client.requestBlock(path: "/etcdserverpb.KV/Put")
            let half = block.count / 2
            let body = GRPCWire.framed(try put.serializedBytes(), allocator: ByteBufferAllocator())
            client.write { out in
                HTTP2Wire.writeFrameHeader(&out, length: half, type: .headers, flags: 0, stream: 1)
                out.writeBytes(block[..<half])
                HTTP2Wire.writeFrameHeader(&out, length: block.count - half, type: .continuation, flags: HTTP2Wire.Flags.endHeaders,
                                           stream: 1)
                out.writeBytes(block[half...])
                let padding = 7
                HTTP2Wire.writeFrameHeader(&out, length: 1 + body.readableBytes + padding, type: .data,
                                           flags: HTTP2Wire.Flags.endStream | HTTP2Wire.Flags.padded, stream: 1)
                out.writeInteger(UInt8(padding))
                out.writeImmutableBuffer(body)
                out.writeBytes([UInt8](repeating: 0, count: padding))
            }
            let (status, message) = try await client.answer(on: 1)
            #expect(status == "0")
            #expect(try Etcdserverpb_PutResponse(serializedBytes: message).header.revision > 1)
            try await client.ping()
            await client.close()
        }
    }

    @Test(arguments: [
        ("a frame over the size limit", HTTP2Wire.ErrorCode.frameSizeError),
        ("a bad preface", HTTP2Wire.ErrorCode.protocolError),
        ("an undecodable header block", HTTP2Wire.ErrorCode.compressionError),
        ("a PUSH_PROMISE", HTTP2Wire.ErrorCode.protocolError),
    ])
    func aBrokenConnectionIsEndedWithGoAway(_ fault: String, _ code: UInt32) async throws {
        try await APIHarness.with(members: 1) { api in
            let client = try await RawHTTP2Client.connect(port: api.port(of: 1), preface: fault != "a bad preface")
            client.write { out in
                switch fault {
                case "a frame over the size limit":
                    HTTP2Wire.writeFrameHeader(&out, length: 20_000, type: .data, flags: 0, stream: 1)
                case "a bad preface":
                    // A TLS ClientHello's first bytes: neither HTTP/2 nor an HTTP/1.1 request line.
                    out.writeBytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] + Array(repeating: 0, count: 32))
                case "an undecodable header block":
                    // An indexed field past both HPACK tables.
                    HTTP2Wire.writeFrameHeader(&out, length: 1, type: .headers, flags: HTTP2Wire.Flags.endHeaders, stream: 1)
                    out.writeInteger(UInt8(0xFF - 1))
                default:
                    HTTP2Wire.writeFrameHeader(&out, length: 4, type: .pushPromise, flags: HTTP2Wire.Flags.endHeaders, stream: 1)
                    out.writeInteger(UInt32(2))
                }
            }
            var frame = try await client.frame(on: 0)
            while frame.type != HTTP2Wire.FrameType.goAway.rawValue { frame = try await client.frame(on: 0) }
            #expect(frame.payload.getInteger(at: frame.payload.readerIndex + 4, as: UInt32.self) == code, "\(fault)")
            try await waitFor("the server to close the connection") { client.isClosed }
            // The member serves other connections as before.
            let other = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: 1))
            var put = Etcdserverpb_PutRequest()
            put.key = Data("after".utf8)
            _ = try await other.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes())
            await other.close()
        }
    }
}

/// A test's HTTP/2 client that writes raw frames and reads the server's frames as they come.
final class RawHTTP2Client: Sendable {
    private let channel: any Channel
    private let collector: Collector

    private struct Received {
        var bytes = ByteBufferAllocator().buffer(capacity: 4096)
        var frames: [HTTP2Wire.Frame] = []
        var closed = false
        var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
    }

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects and, with `preface`, sends the client preface and SETTINGS (an initial stream
    /// window of `initialWindow`).
    /// Without `reads`, the client never reads its socket: what the server writes stays in the
    /// kernel's buffers until they fill.
    static func connect(port: Int, initialWindow: Int = 1 << 20, preface: Bool = true, reads: Bool = true) async throws -> RawHTTP2Client {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reads)
            .channelOption(.socketOption(.so_rcvbuf), value: reads ? 1 << 20 : 16 << 10)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let client = RawHTTP2Client(channel: channel, collector: collector)
        if preface {
            client.write { out in
                out.writeString(HTTP2Wire.preface)
                HTTP2Wire.writeSettings(&out, [(HTTP2Wire.Setting.initialWindowSize, UInt32(initialWindow))])
            }
        }
        return client
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex(Received())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            received.withLock { r in
                r.bytes.writeBuffer(&bytes)
                while let frame = try? HTTP2Wire.nextFrame(from: &r.bytes) { r.frames.append(frame) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.withLock { $0.closed = true }
        }
    }

    var isClosed: Bool { collector.received.withLock { $0.closed } }

    /// Reads the socket again, for a client made without `reads`.
    func startReading() {
        channel.setOption(.autoRead, value: true).whenSuccess { [channel] in channel.read() }
    }

    /// The GOAWAY the server ended the connection with: its error code and debug text, once the
    /// connection has closed; nil when it closed without one.
    func goAway() async throws -> (code: UInt32, reason: String)? {
        try await waitFor("the server to close the connection") { isClosed }
        let frames = collector.received.withLock { $0.frames.filter { $0.stream == 0 && $0.type == HTTP2Wire.FrameType.goAway.rawValue } }
        guard var payload = frames.last?.payload else { return nil }
        payload.moveReaderIndex(forwardBy: 4)
        let code = payload.readInteger(as: UInt32.self) ?? 0
        return (code, payload.readString(length: payload.readableBytes) ?? "")
    }

    /// Frames of `type` the server sent on any stream, not yet read.
    func frames(of type: HTTP2Wire.FrameType) -> [HTTP2Wire.Frame] {
        collector.received.withLock { $0.frames.filter { $0.type == type.rawValue } }
    }

    func write(_ frames: (inout ByteBuffer) -> Void) {
        var out = channel.allocator.buffer(capacity: 256)
        frames(&out)
        channel.writeAndFlush(out, promise: nil)
    }

    /// The request header block for `path`: literals, as HPACK allows.
    static func requestBlock(path: String) -> [UInt8] {
        var block: [UInt8] = [0x83, 0x86]  // :method POST, :scheme http
        HTTP2Wire.appendLiteral(nameIndex: 4, value: path, to: &block)
        HTTP2Wire.appendLiteral(nameIndex: 31, value: "application/grpc", to: &block)
        HTTP2Wire.appendLiteral(name: "te", value: "trailers", to: &block)
        return block
    }

    /// A unary call on `stream`: its headers and its message in one DATA frame.
    func call(stream: UInt32, path: String, message: [UInt8]) {
        let block = Self.requestBlock(path: path)
        write { out in
            HTTP2Wire.writeHeaders(&out, stream: stream, block: block, endStream: false, maxFrameBytes: HTTP2Wire.maxFrameBytes)
            let body = GRPCWire.framed(message, allocator: ByteBufferAllocator())
            HTTP2Wire.writeFrameHeader(&out, length: body.readableBytes, type: .data, flags: HTTP2Wire.Flags.endStream, stream: stream)
            out.writeImmutableBuffer(body)
        }
    }

    func windowUpdate(stream: UInt32, increment: Int) {
        write { HTTP2Wire.writeWindowUpdate(&$0, stream: stream, increment: increment) }
    }

    /// Sends a PING and waits for its ack; every frame the server wrote before the ack has then arrived.
    func ping() async throws {
        let payload: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        write { out in
            HTTP2Wire.writeFrameHeader(&out, length: 8, type: .ping, flags: 0, stream: 0)
            out.writeBytes(payload)
        }
        while true {
            let frame = try await self.frame(on: 0)
            if frame.type == HTTP2Wire.FrameType.ping.rawValue && frame.has(HTTP2Wire.Flags.ack) {
                #expect(Array(frame.payload.readableBytesView) == payload)
                return
            }
        }
    }

    /// The next frame the server sent on `stream`, waiting for it; frames on other streams are
    /// left for their readers, and every header block is decoded in order on arrival here.
    func frame(on stream: UInt32) async throws -> HTTP2Wire.Frame {
        var found: HTTP2Wire.Frame?
        try await waitFor("a frame on stream \(stream)") {
            // Frames and the close are read together: every frame sent before the close has
            // arrived once the close has.
            let closed: Bool
            (found, closed) = collector.received.withLock { r in
                (r.frames.firstIndex(where: { $0.stream == stream }).map { r.frames.remove(at: $0) }, r.closed)
            }
            return found != nil || closed
        }
        guard let found else { throw RawClientError.closed }
        return found
    }

    /// Frames that have arrived on `stream` and not been read.
    func pending(on stream: UInt32) -> [HTTP2Wire.Frame] {
        collector.received.withLock { $0.frames.filter { $0.stream == stream } }
    }

    /// A HEADERS frame's header block, decoded (the test reads header blocks in the order sent).
    func decode(_ frame: HTTP2Wire.Frame) throws -> HPACKHeaders {
        var block = frame.payload
        return try collector.received.withLock { try $0.decoder.decodeHeaders(from: &block) }
    }

    /// The grpc-status and message of a unary answer on `stream`.
    func answer(on stream: UInt32) async throws -> (status: String?, message: [UInt8]) {
        var body: [UInt8] = []
        while true {
            let frame = try await self.frame(on: stream)
            if frame.type == HTTP2Wire.FrameType.data.rawValue {
                body += Array(frame.payload.readableBytesView)
                continue
            }
            let headers = try decode(frame)
            if frame.has(HTTP2Wire.Flags.endStream) {
                return (headers.first(name: "grpc-status"), GRPCWire.onlyMessage(in: body).map(Array.init) ?? [])
            }
        }
    }

    func close() async {
        try? await channel.close()
    }

    enum RawClientError: Error {
        case closed
    }
}
