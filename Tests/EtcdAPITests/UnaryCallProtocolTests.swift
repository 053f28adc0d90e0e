import EtcdAPI
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import Synchronization
import Testing

/// The unary-call client against a strict HTTP/2 server (NIO's, which checks every frame it is
/// sent): one stream at a time, a 16-byte stream window, a PING before every answer, padded
/// DATA, and trailers too long for one frame so they arrive as HEADERS plus CONTINUATION (the
/// last two NIO cannot send, so the server writes those frames itself). Each
/// case is one the client meets only rarely from etcd or rafttop, so each is forced here.
@Suite struct UnaryCallProtocolTests {
    @Test func callsWaitForTheStreamLimitAndTheWindowAndAnswersArriveWhole() async throws {
        try await EchoServer.with { server in
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: server.port)
            // Five calls at once over a one-stream limit: they must take turns. Each request is
            // 205 bytes on the wire against a 16-byte window, so it goes out in slices, each
            // waiting for the server's WINDOW_UPDATE.
            let answers = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                for call in 0..<5 {
                    group.addTask {
                        let message = (0..<200).map { UInt8(truncatingIfNeeded: $0 &+ call) }
                        return (call, try await connection.call(path: "/echo", message: message, timeout: .seconds(30)))
                    }
                }
                var answers: [Int: [UInt8]] = [:]
                for try await (call, answer) in group { answers[call] = answer }
                return answers
            }
            for call in 0..<5 {
                #expect(answers[call] == (0..<200).map { UInt8(truncatingIfNeeded: $0 &+ call) })
            }
            // The ack of the last PING may leave after that call's answer is handed over.
            let counts = await server.counters.snapshot(once: { $0.pingAcks >= 5 })
            #expect(counts.mostOpenStreams == 1, "the server's stream limit of 1 was exceeded")
            #expect(counts.largestRequestFrame <= EchoServer.streamWindow, "a DATA frame overran the 16-byte window")
            #expect(counts.pingAcks == 5, "every PING the server sent is acknowledged once")
            await connection.close()
        }
    }

    @Test func anErrorWhoseTrailersSpanContinuationFramesArrivesWithItsMessage() async throws {
        try await EchoServer.with { server in
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: server.port)
            // Compared by parts: a failure printing the 20,000-byte message would bury the report.
            var answer: (code: Int, length: Int, allX: Bool)?
            do {
                _ = try await connection.call(path: "/long-error", message: [1, 2, 3], timeout: .seconds(30))
            } catch UnaryCallError.status(let code, let message) {
                answer = (code, message.utf8.count, message.utf8.allSatisfy { $0 == UInt8(ascii: "x") })
            }
            #expect(answer?.code == 9)
            #expect(answer?.length == EchoServer.longMessageLength)
            #expect(answer?.allX == true)
            // The connection is still good after it.
            #expect(try await connection.call(path: "/echo", message: [7], timeout: .seconds(30)) == [7])
            await connection.close()
        }
    }
}

/// An HTTP/2 gRPC server that echoes each request's message back, strict in what it allows.
private struct EchoServer {
    static let streamWindow = 16
    /// Longer than a 16 KiB frame, so the trailers' header block is split across two.
    static let longMessageLength = 20_000

    let port: Int
    let counters: Counters

    static func with(_ body: (EchoServer) async throws -> Void) async throws {
        let counters = Counters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var settings = NIOHTTP2Handler.ConnectionConfiguration()
                    settings.initialSettings = [
                        HTTP2Setting(parameter: .maxConcurrentStreams, value: 1),
                        HTTP2Setting(parameter: .initialWindowSize, value: streamWindow),
                    ]
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(RawFrames())
                    try sync.addHandler(NIOHTTP2Handler(mode: .server, connectionConfiguration: settings))
                    try sync.addHandler(EchoHandler(counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = try #require(channel.localAddress?.port)
        do {
            try await body(EchoServer(port: port, counters: counters))
        } catch {
            try? await channel.close()
            throw error
        }
        try await channel.close()
    }
}

/// What the server saw, read by the test after the calls.
private final class Counters: Sendable {
    struct Counts {
        var openStreams = 0
        var mostOpenStreams = 0
        var largestRequestFrame = 0
        var pingAcks = 0
    }

    private let counts = Mutex(Counts())

    func update(_ change: (inout Counts) -> Void) { counts.withLock { change(&$0) } }
    func snapshot() -> Counts { counts.withLock { $0 } }

    /// The counts once `condition` holds, or as they are after 10 s without it.
    func snapshot(once condition: (Counts) -> Bool) async -> Counts {
        var waits = 0
        while !condition(snapshot()) && waits < 1000 {
            try? await Task.sleep(for: .milliseconds(10))
            waits += 1
        }
        return snapshot()
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let counters: Counters
    private var paths: [HTTP2StreamID: String] = [:]
    private var bodies: [HTTP2StreamID: ByteBuffer] = [:]
    private var pingCount: UInt64 = 0

    init(counters: Counters) { self.counters = counters }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            paths[frame.streamID] = headers.headers.first(name: ":path") ?? ""
            bodies[frame.streamID] = context.channel.allocator.buffer(capacity: 0)
            counters.update {
                $0.openStreams += 1
                $0.mostOpenStreams = max($0.mostOpenStreams, $0.openStreams)
            }
            if headers.endStream { answer(frame.streamID, context: context) }
        case .data(let payload):
            guard case .byteBuffer(var bytes) = payload.data else { return }
            let used = bytes.readableBytes + (payload.paddingBytes.map { $0 + 1 } ?? 0)
            counters.update { $0.largestRequestFrame = max($0.largestRequestFrame, bytes.readableBytes) }
            bodies[frame.streamID, default: context.channel.allocator.buffer(capacity: 0)].writeBuffer(&bytes)
            // Give the window back, for the connection and the stream, as it is used.
            if used > 0 {
                context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: used))),
                              promise: nil)
                if !payload.endStream {
                    context.write(wrapOutboundOut(HTTP2Frame(streamID: frame.streamID, payload: .windowUpdate(windowSizeIncrement: used))),
                                  promise: nil)
                }
            }
            if payload.endStream { answer(frame.streamID, context: context) }
            context.flush()
        case .ping(_, ack: true):
            counters.update { $0.pingAcks += 1 }
        default:
            break
        }
    }

    private func answer(_ stream: HTTP2StreamID, context: ChannelHandlerContext) {
        pingCount += 1
        context.write(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .ping(HTTP2PingData(withInteger: pingCount), ack: false))),
                      promise: nil)
        let path = paths.removeValue(forKey: stream) ?? ""
        let body = bodies.removeValue(forKey: stream) ?? context.channel.allocator.buffer(capacity: 0)
        counters.update { $0.openStreams -= 1 }
        let raw = try! context.pipeline.syncOperations.context(handlerType: RawFrames.self)
        if path == "/long-error" {
            // A trailers-only answer whose header block is over a frame: HEADERS with
            // END_STREAM but not END_HEADERS, then CONTINUATION. NIO splits no header block, so
            // the frames go out raw; the RST_STREAM after them closes the stream in NIO's books
            // (the client has ended it already and ignores the reset).
            var block = Self.literalBlock([(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "9"),
                                           ("grpc-message", String(repeating: "x", count: EchoServer.longMessageLength))],
                                          allocator: context.channel.allocator)
            let split = 16_384
            precondition(block.readableBytes > split, "the trailers must need a CONTINUATION frame")
            var frames = context.channel.allocator.buffer(capacity: block.readableBytes + 18)
            Self.writeFrameHeader(&frames, length: split, type: 0x1, flags: 0x1, stream: stream)
            var head = block.readSlice(length: split)!
            frames.writeBuffer(&head)
            Self.writeFrameHeader(&frames, length: block.readableBytes, type: 0x9, flags: 0x4, stream: stream)
            frames.writeBuffer(&block)
            raw.writeAndFlush(NIOAny(frames), promise: nil)
            write(.rstStream(.noError), on: stream, context: context)
        } else {
            write(.headers(.init(headers: [":status": "200", "content-type": "application/grpc"])), on: stream, context: context)
            context.flush()  // NIO's HEADERS reach the socket before the raw frames after them.
            // The echo comes back in two padded DATA frames split mid-prefix. NIO sends no
            // padding, so these go out as raw bytes beneath its handler; the client's stream
            // window (1 MiB) is far larger than they are.
            var echo = body
            let first = echo.readSlice(length: min(3, echo.readableBytes))!
            raw.write(NIOAny(Self.paddedData(first, padding: 7, stream: stream, allocator: context.channel.allocator)), promise: nil)
            raw.writeAndFlush(NIOAny(Self.paddedData(echo, padding: 200, stream: stream, allocator: context.channel.allocator)),
                              promise: nil)
            write(.headers(.init(headers: ["grpc-status": "0"], endStream: true)), on: stream, context: context)
        }
        context.flush()
    }

    /// A DATA frame with the PADDED flag, `padding` zero bytes after `data`.
    private static func paddedData(_ data: ByteBuffer, padding: UInt8, stream: HTTP2StreamID,
                                   allocator: ByteBufferAllocator) -> ByteBuffer {
        var frame = allocator.buffer(capacity: 10 + data.readableBytes + Int(padding))
        writeFrameHeader(&frame, length: 1 + data.readableBytes + Int(padding), type: 0x0, flags: 0x8, stream: stream)
        frame.writeInteger(padding)
        frame.writeImmutableBuffer(data)
        frame.writeRepeatingByte(0, count: Int(padding))
        return frame
    }

    private static func writeFrameHeader(_ buffer: inout ByteBuffer, length: Int, type: UInt8, flags: UInt8,
                                         stream: HTTP2StreamID) {
        buffer.writeInteger(UInt32(length) << 8 | UInt32(type))
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt32(Int32(stream)))
    }

    /// A header block of literals the client must not index, no Huffman coding, from an
    /// encoder of its own: it leaves the client's dynamic table as NIO's encoder expects it.
    private static func literalBlock(_ headers: [(String, String)], allocator: ByteBufferAllocator) -> ByteBuffer {
        var fields = HPACKHeaders()
        for (name, value) in headers { fields.add(name: name, value: value, indexing: .nonIndexable) }
        var encoder = HPACKEncoder(allocator: allocator, useHuffmanEncoding: false)
        var block = allocator.buffer(capacity: 1024)
        try! encoder.encode(headers: fields, to: &block)
        return block
    }

    private func write(_ payload: HTTP2Frame.FramePayload, on stream: HTTP2StreamID, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(HTTP2Frame(streamID: stream, payload: payload)), promise: nil)
    }
}

/// Passes bytes through; it marks the place in the pipeline, beneath NIO's HTTP/2 handler,
/// where the echo handler writes frames NIO cannot make.
private final class RawFrames: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
}
