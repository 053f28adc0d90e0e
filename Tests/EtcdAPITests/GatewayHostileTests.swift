@testable import EtcdAPI
import Foundation
import Locking
import NIOCore
import NIOPosix
import Testing

/// One hostile client at a time against member 1's JSON gateway, in raw bytes: oversized heads
/// and bodies, a head or a kept-alive connection that never goes on, requests pipelined past the
/// limit, too many connections. Each ends as designed, and a request on another connection is
/// answered meanwhile.
@Suite struct GatewayHostileTests {
    static let put = "POST /v3/kv/put HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n"
        + #"{"key":"Zm9v","value":"YmFy"}"# + " "

    @Test func aHeadOverTheLimitIsRefused() async throws {
        try await APIHarness.with(members: 1) { api in
            let client = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: "POST /v3/kv/put HTTP/1.1\r\nHost: test\r\nX-Big: " + String(repeating: "h", count: 32 << 10) + "\r\n\r\n")
            try await waitFor("the connection to close") { client.isClosed }
            #expect(client.received.hasPrefix("HTTP/1.1 400"), "\(client.received.prefix(80))")
            try await Self.expectServed(api)
        }
    }

    @Test func aBodyOverTheLimitIsRefusedBeforeItIsAllRead() async throws {
        var limits = GatewayLimits()
        limits.bodyBytesMax = 64 << 10
        try await APIHarness.with(members: 1, gatewayLimits: limits) { api in
            let client = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: "POST /v3/kv/put HTTP/1.1\r\nHost: test\r\nContent-Length: 100000000\r\n\r\n")
            client.write(String(repeating: "b", count: 1 << 20))
            try await waitFor("the connection to close") { client.isClosed }
            #expect(client.received.contains("request body larger than 65536 bytes"), "\(client.received.prefix(200))")
            try await Self.expectServed(api)
        }
    }

    @Test func aHeadThatNeverEndsTimesOut() async throws {
        var limits = GatewayLimits()
        limits.headerTimeout = .milliseconds(300)
        try await APIHarness.with(members: 1, gatewayLimits: limits) { api in
            let client = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: "POST /v3/kv/put HTTP/1.1\r\nHost: te")
            try await waitFor("the connection to close") { client.isClosed }
            #expect(client.received.isEmpty)
            try await Self.expectServed(api, attempts: 20)
        }
    }

    @Test func aKeptAliveConnectionThatSendsNothingMoreIsClosed() async throws {
        var limits = GatewayLimits()
        limits.idleTimeout = .milliseconds(300)
        try await APIHarness.with(members: 1, gatewayLimits: limits) { api in
            let client = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: Self.put)
            try await waitFor("the connection to close") { client.isClosed }
            #expect(client.received.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func requestsPipelinedPastTheLimitEndTheConnection() async throws {
        var limits = GatewayLimits()
        limits.pipelinedRequestsMax = 4
        try await APIHarness.with(members: 1, gatewayLimits: limits) { api in
            let client = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: String(repeating: Self.put, count: 50))
            try await waitFor("the connection to close") { client.isClosed }
            let answers = client.received.components(separatedBy: "HTTP/1.1 200").count - 1
            #expect(answers <= limits.pipelinedRequestsMax, "\(answers) answers")
            try await Self.expectServed(api)
        }
    }

    @Test func connectionsPastTheLimitAreClosed() async throws {
        var limits = GatewayLimits()
        limits.maxConnections = 2
        try await APIHarness.with(members: 1, gatewayLimits: limits) { api in
            let first = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: Self.put)
            let second = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: Self.put)
            try await waitFor("both answered") { first.received.contains("200") && second.received.contains("200") }
            let third = try await RawTCPClient.connect(port: api.gatewayPort(of: 1))
            try await waitFor("the third connection to close") { third.isClosed }
            await first.close()
            // Once the server has seen the first connection end, a new one is served.
            var served = false
            while !served {
                let next = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: Self.put.replacingOccurrences(of: "Host: test", with: "Host: test\r\nConnection: close"))
                try await waitFor("the answer or the close") { next.isClosed }
                served = next.received.hasPrefix("HTTP/1.1 200")
                if !served { try await Task.sleep(for: .milliseconds(20)) }
            }
            await second.close()
        }
    }

    /// A put over a connection of its own is answered. With `attempts`, a connection the server
    /// closed unanswered is tried again: under a whole `swift test` run on two cores, a test's
    /// 300 ms header timeout can pass before a well-behaved client's head is read.
    static func expectServed(_ api: APIHarness, attempts: Int = 1) async throws {
        for attempt in 1...attempts {
            let request = put.replacingOccurrences(of: "Host: test", with: "Host: test\r\nConnection: close")
            let client = try await RawTCPClient.connect(port: api.gatewayPort(of: 1), first: request)
            try await waitFor("the answer") { client.isClosed }
            if client.received.isEmpty && attempt < attempts { continue }
            #expect(client.received.hasPrefix("HTTP/1.1 200"), "\(client.received.prefix(80))")
            return
        }
    }
}

/// A test's TCP client: writes text, collects what comes back until the server closes.
final class RawTCPClient: Sendable {
    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects; `first` is written as the connection opens, on the event loop, so a test task
    /// waiting for a thread of a busy machine cannot delay it past a server's timeout.
    static func connect(port: Int, first: String? = nil) async throws -> RawTCPClient {
        let collector = Collector(first: first)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawTCPClient(channel: channel, collector: collector)
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state = Locked((text: "", closed: false))
        let first: String?

        init(first: String?) {
            self.first = first
        }

        func channelActive(context: ChannelHandlerContext) {
            if let first { context.writeAndFlush(NIOAny(ByteBuffer(string: first)), promise: nil) }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            state.withLock { $0.text += String(buffer: bytes) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLock { $0.closed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    var received: String { collector.state.withLock { $0.text } }
    var isClosed: Bool { collector.state.withLock { $0.closed } }

    func write(_ text: String) {
        channel.writeAndFlush(ByteBuffer(string: text), promise: nil)
    }

    func close() async {
        try? await channel.close()
    }
}
