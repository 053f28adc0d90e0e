@testable import EtcdAPI
import Foundation
import NIOCore
import Testing

/// One hostile client at a time against member 1's gRPC port, written as raw frames: each attack
/// must end as designed (GOAWAY with the fitting code, refused streams, or a client held to its
/// windows), the bytes the server holds for that connection (its own count) must stay under a
/// fixed bound, and a well-behaved client on another connection must be served meanwhile.
@Suite struct HostileClientTests {
    /// What a flood of frames that carry nothing may make the server hold: the reader's buffer
    /// of one read, the acks it wrote, and the socket's buffer below its high-water mark.
    static let floodBytesBound = 512 << 10

    @Test func aPingFloodEndsWithTooManyPings() async throws {
        try await APIHarness.with(members: 1) { api in
            let (client, number) = try await Attacker.connect(api)
            client.write { out in
                for i in 0..<1_000 {
                    HTTP2Wire.writeFrameHeader(&out, length: 8, type: .ping, flags: 0, stream: 0)
                    out.writeInteger(UInt64(i))
                }
            }
            let goAway = try #require(try await client.goAway())
            #expect(goAway.code == HTTP2Wire.ErrorCode.enhanceYourCalm)
            #expect(goAway.reason == "too_many_pings")
            // grpc-go's rule: the third PING too soon is the last; PINGs after it are not read.
            #expect(client.frames(of: .ping).count <= FloodGuard.pingStrikesMax + 1)
            try await Attacker.expectBounded(api, number, below: Self.floodBytesBound)
            try await Attacker.expectServed(api)
        }
    }

    @Test func pingsThatFollowAnswersAreNeverAFlood() async throws {
        try await APIHarness.with(members: 1) { api in
            // grpc-go's clients PING after the data they read (their bandwidth probe): an answer
            // written since the last PING clears the strikes, as grpc-go's server does.
            let client = try await RawHTTP2Client.connect(port: api.port(of: 1))
            for i in 0..<10 {
                let stream = UInt32(2 * i + 1)
                client.call(stream: stream, path: "/etcdserverpb.KV/Put", message: try Etcdserverpb_PutRequest("k\(i)", "v").serializedBytes())
                #expect(try await client.answer(on: stream).status == "0")
                try await client.ping()
            }
            #expect(!client.isClosed)
            await client.close()
        }
    }

    @Test(arguments: ["SETTINGS", "WINDOW_UPDATE", "RST_STREAM", "empty DATA", "PRIORITY", "an unknown type"])
    func aFloodOfFramesThatAskForNothingEndsWithEnhanceYourCalm(_ kind: String) async throws {
        try await APIHarness.with(members: 1) { api in
            // A client that never reads: SETTINGS acks cannot pile up either.
            let (client, number) = try await Attacker.connect(api, reads: false)
            if kind == "empty DATA" || kind == "RST_STREAM" {
                client.write { out in
                    let block = RawHTTP2Client.requestBlock(path: "/etcdserverpb.KV/Put")
                    HTTP2Wire.writeHeaders(&out, stream: 1, block: block, endStream: false, maxFrameBytes: HTTP2Wire.maxFrameBytes)
                }
            }
            let count = FrontLimits().overheadFramesMax + 2_000
            for _ in 0..<(count / 1_000) {
                client.write { out in
                    for _ in 0..<1_000 {
                        switch kind {
                        case "SETTINGS":
                            HTTP2Wire.writeSettings(&out, [(HTTP2Wire.Setting.enablePush, 0)])
                        case "WINDOW_UPDATE":
                            HTTP2Wire.writeWindowUpdate(&out, stream: 0, increment: 1)
                        case "RST_STREAM":
                            // The first resets the open stream; the rest name it once it is closed.
                            HTTP2Wire.writeRstStream(&out, stream: 1, code: HTTP2Wire.ErrorCode.cancel)
                        case "empty DATA":
                            HTTP2Wire.writeFrameHeader(&out, length: 0, type: .data, flags: 0, stream: 1)
                        case "PRIORITY":
                            HTTP2Wire.writeFrameHeader(&out, length: 5, type: .priority, flags: 0, stream: 1)
                            out.writeInteger(UInt32(0))
                            out.writeInteger(UInt8(16))
                        default:
                            out.writeInteger(UInt32(0xfa))  // length 0, type 0xfa (none HTTP/2 defines)
                            out.writeInteger(UInt8(0))
                            out.writeInteger(UInt32(0))
                        }
                    }
                }
            }
            client.startReading()
            let goAway = try #require(try await client.goAway(), "\(kind)")
            #expect(goAway.code == HTTP2Wire.ErrorCode.enhanceYourCalm, "\(kind)")
            #expect(goAway.reason.contains("frames that carry no request"), "\(kind): \(goAway.reason)")
            try await Attacker.expectBounded(api, number, below: Self.floodBytesBound)
            try await Attacker.expectServed(api)
        }
    }

    @Test func rapidResetEndsTheConnection() async throws {
        var limits = FrontLimits()
        limits.maxConcurrentStreams = 32
        try await APIHarness.with(members: 1, limits: limits) { api in
            let (client, number) = try await Attacker.connect(api)
            let body = GRPCWire.framed(try Etcdserverpb_PutRequest("reset", "v").serializedBytes(), allocator: ByteBufferAllocator())
            let block = RawHTTP2Client.requestBlock(path: "/etcdserverpb.KV/Put")
            client.write { out in
                for i in 0..<1_000 {
                    let stream = UInt32(2 * i + 1)
                    HTTP2Wire.writeHeaders(&out, stream: stream, block: block, endStream: false, maxFrameBytes: HTTP2Wire.maxFrameBytes)
                    HTTP2Wire.writeFrameHeader(&out, length: body.readableBytes, type: .data, flags: HTTP2Wire.Flags.endStream, stream: stream)
                    out.writeImmutableBuffer(body)
                    HTTP2Wire.writeRstStream(&out, stream: stream, code: HTTP2Wire.ErrorCode.cancel)
                }
            }
            let goAway = try #require(try await client.goAway())
            #expect(goAway.code == HTTP2Wire.ErrorCode.enhanceYourCalm)
            #expect(goAway.reason.contains("reset or refused"), "\(goAway.reason)")
            try await Attacker.expectBounded(api, number, below: Self.floodBytesBound)
            // A call starts once the read it came in is done: one reset in the same read never
            // reaches the member. Only a triple split between two reads puts anything (of the
            // 201 before the GOAWAY: without the wait, all of them would have).
            let revision = try await Attacker.expectServed(api)
            #expect(revision < 100, "revision \(revision)")
        }
    }

    @Test func aHeaderBlockThatNeverEndsIsCutOff() async throws {
        try await APIHarness.with(members: 1) { api in
            let (client, number) = try await Attacker.connect(api)
            let block = RawHTTP2Client.requestBlock(path: "/etcdserverpb.KV/Put")
            client.write { out in
                HTTP2Wire.writeFrameHeader(&out, length: block.count, type: .headers, flags: 0, stream: 1)
                out.writeBytes(block)
                for i in 0..<10_000 {
                    var field: [UInt8] = []
                    HTTP2Wire.appendLiteral(name: "x-\(i)", value: "y", to: &field)
                    HTTP2Wire.writeFrameHeader(&out, length: field.count, type: .continuation, flags: 0, stream: 1)
                    out.writeBytes(field)
                }
            }
            let goAway = try #require(try await client.goAway())
            #expect(goAway.code == HTTP2Wire.ErrorCode.enhanceYourCalm)
            #expect(goAway.reason.contains("CONTINUATION"))
            try await Attacker.expectBounded(api, number, below: Self.floodBytesBound)
            try await Attacker.expectServed(api)
        }
    }

    @Test func anHPACKBombIsRefusedAtTheHeaderListLimit() async throws {
        try await APIHarness.with(members: 1) { api in
            let (client, number) = try await Attacker.connect(api)
            var first = RawHTTP2Client.requestBlock(path: "/etcdserverpb.KV/Range")
            // A 3,000-byte field entered into the dynamic table (index 62)...
            first.append(0x40)
            HTTP2Wire.appendString("x-bomb", to: &first)
            HTTP2Wire.appendString(String(repeating: "b", count: 3_000), to: &first)
            // ...then named by its index a hundred times in one block: 300 kB from 100 bytes.
            var second = RawHTTP2Client.requestBlock(path: "/etcdserverpb.KV/Range")
            second.append(contentsOf: [UInt8](repeating: 0xbe, count: 100))
            client.write { out in
                HTTP2Wire.writeHeaders(&out, stream: 1, block: first, endStream: true, maxFrameBytes: HTTP2Wire.maxFrameBytes)
                HTTP2Wire.writeHeaders(&out, stream: 3, block: second, endStream: true, maxFrameBytes: HTTP2Wire.maxFrameBytes)
            }
            let goAway = try #require(try await client.goAway())
            #expect(goAway.code == HTTP2Wire.ErrorCode.compressionError)
            try await Attacker.expectBounded(api, number, below: Self.floodBytesBound)
            try await Attacker.expectServed(api)
        }
    }

    @Test func bodiesThatNeverEndStopAtTheConnectionWindow() async throws {
        try await APIHarness.with(members: 1) { api in
            let limits = FrontLimits()
            let (client, number) = try await Attacker.connect(api)
            let block = RawHTTP2Client.requestBlock(path: "/etcdserverpb.KV/Put")
            let streams = 20
            let perStream = 800_000
            // Each stream's message announces 1.9 MB and stops at 800 kB: 16 MB in all, just
            // under the connection's window, none of it ever handed on.
            for s in 0..<streams {
                let stream = UInt32(2 * s + 1)
                client.write { out in
                    HTTP2Wire.writeHeaders(&out, stream: stream, block: block, endStream: false, maxFrameBytes: HTTP2Wire.maxFrameBytes)
                    var sent = 0
                    while sent < perStream {
                        let size = min(HTTP2Wire.maxFrameBytes, perStream - sent)
                        HTTP2Wire.writeFrameHeader(&out, length: size, type: .data, flags: 0, stream: stream)
                        if sent == 0 {
                            out.writeInteger(UInt8(0))
                            out.writeInteger(UInt32(1_900_000))
                            out.writeRepeatingByte(0x61, count: size - 5)
                        } else {
                            out.writeRepeatingByte(0x61, count: size)
                        }
                        sent += size
                    }
                }
            }
            try await waitFor("the server to hold every byte sent") {
                Attacker.report(api, number)?.heldBytes ?? 0 >= streams * perStream
            }
            try await Attacker.expectServed(api)
            // Sending on past the window the server gave breaks flow control.
            client.write { out in
                for s in 0...((limits.requestBytesHeldMax - streams * perStream) / HTTP2Wire.maxFrameBytes) {
                    HTTP2Wire.writeFrameHeader(&out, length: HTTP2Wire.maxFrameBytes, type: .data, flags: 0, stream: UInt32(2 * (s % streams) + 1))
                    out.writeRepeatingByte(0x61, count: HTTP2Wire.maxFrameBytes)
                }
            }
            let goAway = try #require(try await client.goAway())
            #expect(goAway.code == HTTP2Wire.ErrorCode.flowControlError)
            try await Attacker.expectBounded(api, number, below: limits.requestBytesHeldMax + Self.floodBytesBound)
        }
    }

    @Test func aClientThatNeverOpensItsWindowGetsNoMoreThanTheWriteQuota() async throws {
        try await APIHarness.with(members: 1) { api in
            let limits = FrontLimits()
            let value = String(repeating: "z", count: 100_000)
            _ = try await Attacker.put(api, "big", value)
            // Every stream's window is 0: answers' HEADERS go out, their DATA waits. Once the
            // answers waiting pass the quota, streams that open are refused: the last of these
            // 100 may already be.
            let (client, number) = try await Attacker.connect(api, initialWindow: 0)
            let range: [UInt8] = try Etcdserverpb_RangeRequest("big").serializedBytes()
            for s in 0..<100 { client.call(stream: UInt32(2 * s + 1), path: "/etcdserverpb.KV/Range", message: range) }
            // (The answers themselves, not all the connection holds: with the requests and the
            // answers' headers, that passes the quota a little before the answers do.)
            try await waitFor("the answers waiting to pass the write quota") {
                Attacker.report(api, number)?.answerBytesQueued ?? 0 > limits.writeQuotaBytes
            }
            try await client.ping()
            let refusedEarly = Set(client.frames(of: .rstStream).map(\.stream))
            #expect(refusedEarly.count < 100 - limits.writeQuotaBytes / 100_000, "refused \(refusedEarly.count) of 100 before the quota")

            // Past the quota, every new call is refused; the waiting ones wait.
            for s in 100..<150 { client.call(stream: UInt32(2 * s + 1), path: "/etcdserverpb.KV/Range", message: range) }
            try await waitFor("50 more refused streams") { client.frames(of: .rstStream).count == refusedEarly.count + 50 }
            let refusedLate = client.frames(of: .rstStream).filter { !refusedEarly.contains($0.stream) }
            let newStreams: [UInt32] = (100..<150).map { UInt32(2 * $0 + 1) }
            let refusedLateStreams: [UInt32] = refusedLate.map(\.stream).sorted()
            #expect(refusedLateStreams == newStreams)
            let codes: [UInt32?] = client.frames(of: .rstStream).map { $0.payload.getInteger(at: $0.payload.readerIndex, as: UInt32.self) }
            #expect(codes.allSatisfy { $0 == HTTP2Wire.ErrorCode.refusedStream })
            try await Attacker.expectServed(api)
            // The quota, and the calls running when it was reached, each making a 100 kB answer.
            let bound = limits.writeQuotaBytes + limits.runningCallsMax * 110_000 + Self.floodBytesBound
            try await Attacker.expectBounded(api, number, below: bound)

            // Once the client opens its windows, every call it was not refused is answered.
            client.write { out in
                HTTP2Wire.writeSettings(&out, [(HTTP2Wire.Setting.initialWindowSize, 1 << 20)])
                HTTP2Wire.writeWindowUpdate(&out, stream: 0, increment: 1 << 30)
            }
            for s in 0..<100 where !refusedEarly.contains(UInt32(2 * s + 1)) {
                let (status, message) = try await client.answer(on: UInt32(2 * s + 1))
                #expect(status == "0")
                let answer = try Etcdserverpb_RangeResponse(serializedBytes: message)
                #expect(answer.kvs.first?.value.count == 100_000)
            }
            await client.close()
        }
    }

    @Test func aWatcherThatNeverOpensItsWindowHoldsOneStreamWindowOfEvents() async throws {
        try await APIHarness.with(members: 1) { api in
            let (client, number) = try await Attacker.connect(api, initialWindow: 0)
            var watch = Etcdserverpb_WatchRequest()
            var create = Etcdserverpb_WatchCreateRequest()
            create.key = Data("watched".utf8)
            // From the first revision: the puts below are events whenever the relay gets the
            // watch to the full server, which a loaded machine may do after them.
            create.startRevision = 1
            watch.createRequest = create
            let body = GRPCWire.framed(try watch.serializedBytes(), allocator: ByteBufferAllocator())
            client.write { out in
                HTTP2Wire.writeHeaders(&out, stream: 1, block: RawHTTP2Client.requestBlock(path: "/etcdserverpb.Watch/Watch"),
                                       endStream: false, maxFrameBytes: HTTP2Wire.maxFrameBytes)
                HTTP2Wire.writeFrameHeader(&out, length: body.readableBytes, type: .data, flags: 0, stream: 1)
                out.writeImmutableBuffer(body)
            }
            // 2 MB of events for a client that takes none of them.
            let value = String(repeating: "e", count: 20_000)
            for _ in 0..<100 { _ = try await Attacker.put(api, "watched", value) }
            try await waitFor("the relay to hold a stream window of events") {
                Attacker.report(api, number)?.heldBytes ?? 0 >= HTTP2Wire.defaultWindowBytes / 2
            }
            try await Task.sleep(for: .milliseconds(300))
            // The full server was given one stream window (64 KiB) toward this call, no more.
            try await Attacker.expectBounded(api, number, below: FrontConnectionHandler.relayStreamWindowBytes + Self.floodBytesBound)
            // Once the client opens its window, the events flow: several stream windows' worth.
            client.write { out in
                HTTP2Wire.writeSettings(&out, [(HTTP2Wire.Setting.initialWindowSize, 1 << 24)])
                HTTP2Wire.writeWindowUpdate(&out, stream: 0, increment: 1 << 30)
            }
            var received = 0
            while received < 4 * FrontConnectionHandler.relayStreamWindowBytes {
                let frame = try await client.frame(on: 1)
                if frame.type == HTTP2Wire.FrameType.data.rawValue { received += frame.payload.readableBytes }
            }
            await client.close()
        }
    }

    @Test func streamsPastTheLimitAreRefused() async throws {
        try await APIHarness.with(members: 1) { api in
            let limits = FrontLimits()
            let (client, number) = try await Attacker.connect(api)
            let block = RawHTTP2Client.requestBlock(path: "/etcdserverpb.KV/Put")
            let extra = 40
            client.write { out in
                for s in 0..<(limits.maxConcurrentStreams + extra) {
                    HTTP2Wire.writeHeaders(&out, stream: UInt32(2 * s + 1), block: block, endStream: false,
                                           maxFrameBytes: HTTP2Wire.maxFrameBytes)
                }
            }
            try await waitFor("\(extra) refused streams") { client.frames(of: .rstStream).count == extra }
            #expect(client.frames(of: .rstStream).allSatisfy { $0.stream > UInt32(2 * limits.maxConcurrentStreams) })
            try await client.ping()
            #expect(Attacker.report(api, number)?.openStreams == limits.maxConcurrentStreams)
            try await Attacker.expectServed(api)
            try await Attacker.expectBounded(api, number, below: Self.floodBytesBound)
            await client.close()
        }
    }

    @Test func aClientThatNeverSendsItsPrefaceIsClosed() async throws {
        var limits = FrontLimits()
        limits.handshakeTimeout = .milliseconds(300)
        try await APIHarness.with(members: 1, limits: limits) { api in
            let (client, number) = try await Attacker.connect(api, preface: false)
            client.write { $0.writeString("PRI * HTTP/2.0\r\n") }
            #expect(try await client.goAway() == nil)
            try await waitFor("the report of the closed connection") { Attacker.report(api, number)?.closed == true }
            #expect(Attacker.report(api, number)?.goAwayReason?.contains("preface") == true)
            try await Attacker.expectServed(api, attempts: 20)
        }
    }

    @Test func aClientThatDoesNotAnswerKeepalivePingsIsClosed() async throws {
        var limits = FrontLimits()
        limits.keepaliveInterval = .milliseconds(200)
        limits.keepaliveTimeout = .milliseconds(300)
        try await APIHarness.with(members: 1, limits: limits) { api in
            let (client, _) = try await Attacker.connect(api)
            let goAway = try #require(try await client.goAway())
            #expect(goAway.code == HTTP2Wire.ErrorCode.noError)
            #expect(goAway.reason.contains("keepalive"))
            #expect(client.frames(of: .ping).contains { !$0.has(HTTP2Wire.Flags.ack) })
        }
    }

    @Test func connectionsPastTheLimitAreClosedAsTheyArrive() async throws {
        var limits = FrontLimits()
        limits.maxConnections = 2
        try await APIHarness.with(members: 1, limits: limits) { api in
            let first = try await RawHTTP2Client.connect(port: api.port(of: 1))
            let second = try await RawHTTP2Client.connect(port: api.port(of: 1))
            try await first.ping()
            try await second.ping()
            let third = try await RawHTTP2Client.connect(port: api.port(of: 1))
            try await waitFor("the third connection to be closed") { third.isClosed }
            #expect(api.server.refusedConnections(for: 1) == 1)
            await first.close()
            try await waitFor("the first connection's end to be counted") {
                api.server.connectionReports(for: 1).first { $0.number == 1 }?.closed == true
            }
            try await Attacker.expectServed(api)
            await second.close()
        }
    }
}

/// The attacking connection and what the tests ask of the server around it.
enum Attacker {
    /// Connects a raw client to member 1, and the number its connection has in the server's reports.
    static func connect(_ api: APIHarness, initialWindow: Int = 1 << 20, preface: Bool = true,
                        reads: Bool = true) async throws -> (RawHTTP2Client, Int) {
        let before = api.server.connectionReports(for: 1).map(\.number).max() ?? 0
        let client = try await RawHTTP2Client.connect(port: api.port(of: 1), initialWindow: initialWindow, preface: preface, reads: reads)
        try await waitFor("the server to count the connection") { report(api, before + 1) != nil }
        return (client, before + 1)
    }

    static func report(_ api: APIHarness, _ number: Int) -> FrontConnectionReport? {
        api.server.connectionReports(for: 1).first { $0.number == number }
    }

    /// The most the server held for the connection stayed under `bound` bytes.
    static func expectBounded(_ api: APIHarness, _ number: Int, below bound: Int,
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let most = try #require(report(api, number), sourceLocation: sourceLocation).heldBytesMax
        #expect(most < bound, "held \(most) bytes, over \(bound)", sourceLocation: sourceLocation)
    }

    /// A put on a connection of its own succeeds; its revision. With `attempts`, a connection the
    /// server ended before the put was answered is tried again: under a whole `swift test` run
    /// on two cores, a test's 300 ms handshake timeout can pass before a client's preface is read.
    @discardableResult
    static func expectServed(_ api: APIHarness, attempts: Int = 1) async throws -> Int64 {
        for _ in 1..<attempts {
            do {
                return try await put(api, "well-behaved", "served")
            } catch UnaryCallError.connection(_) {
                continue
            }
        }
        return try await put(api, "well-behaved", "served")
    }

    static func put(_ api: APIHarness, _ key: String, _ value: String) async throws -> Int64 {
        let other = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: 1))
        defer { Task { await other.close() } }
        let answer = try await other.patientCall(path: "/etcdserverpb.KV/Put",
                                                 message: try Etcdserverpb_PutRequest(key, value).serializedBytes())
        return try Etcdserverpb_PutResponse(serializedBytes: answer).header.revision
    }
}
