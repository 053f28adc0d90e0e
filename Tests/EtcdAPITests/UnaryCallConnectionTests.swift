import EtcdAPI
import Foundation
import NIOCore
import NIOPosix
import SwiftProtobuf
import Testing

/// The lean unary-call client the endpoint bench puts with, against a served cluster.
@Suite struct UnaryCallConnectionTests {
    @Test func putsThenReadsOverOneConnectionWithManyStreams() async throws {
        try await APIHarness.with { api in
            let leader = try #require(api.cluster.leader)
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: leader))
            // More calls than fit in HTTP/2's initial 64 KiB connection window, so the client
            // must give the window back or the server would stop answering.
            let value = Data(repeating: 0x61, count: 64)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        for i in 0..<300 {
                            var put = Etcdserverpb_PutRequest()
                            put.key = Data("k\(client)-\(i % 10)".utf8)
                            put.value = value
                            put.prevKv = true
                            let answer = try await Self.retryingUnavailable {
                                try await connection.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes())
                            }
                            let response = try Etcdserverpb_PutResponse(serializedBytes: answer)
                            #expect(response.header.revision > 1)
                        }
                    }
                }
                try await group.waitForAll()
            }
            var range = Etcdserverpb_RangeRequest()
            range.key = Data("k".utf8)
            range.rangeEnd = Data("l".utf8)
            range.countOnly = true
            let answer = try await connection.patientCall(path: "/etcdserverpb.KV/Range", message: try range.serializedBytes())
            #expect(try Etcdserverpb_RangeResponse(serializedBytes: answer).count == 80)
            await connection.close()
        }
    }

    /// A loaded test machine can starve the 10 ms-tick cluster into an election: a put that
    /// finds no leader (Unavailable) is sent again, as etcd's clients do.
    static func retryingUnavailable(_ call: () async throws -> [UInt8]) async throws -> [UInt8] {
        for _ in 0..<50 {
            do {
                return try await call()
            } catch UnaryCallError.status(code: 14, _) {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return try await call()
    }

    @Test func anEtcdErrorArrivesAsItsStatusAndMessage() async throws {
        try await APIHarness.with(members: 1) { api in
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: 1))
            defer { Task { await connection.close() } }
            let put = Etcdserverpb_PutRequest()
            await #expect(throws: UnaryCallError.status(code: 3, message: "etcdserver: key is not provided")) {
                _ = try await connection.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes())
            }
            let unknown = UnaryCallError.self
            await #expect(throws: unknown) {
                _ = try await connection.patientCall(path: "/etcdserverpb.KV/NoSuchMethod", message: [])
            }
        }
    }

    @Test func aClosedConnectionFailsCallsInsteadOfHanging() async throws {
        try await APIHarness.with(members: 1) { api in
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: 1))
            var range = Etcdserverpb_RangeRequest()
            range.key = Data("k".utf8)
            _ = try await connection.patientCall(path: "/etcdserverpb.KV/Range", message: try range.serializedBytes())
            await connection.close()
            await #expect(throws: UnaryCallError.self) {
                _ = try await connection.patientCall(path: "/etcdserverpb.KV/Range", message: try range.serializedBytes())
            }
        }
    }

    @Test func aServerThatNeverAnswersFailsTheCallAtItsTimeout() async throws {
        // A listening socket nobody accepts from: the TCP handshake completes in the backlog,
        // and nothing ever answers.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 4) == 0
                && getsockname(listener, $0, &length) == 0 }
        }
        try #require(bound)
        let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: Int(UInt16(bigEndian: address.sin_port)))
        await #expect(throws: UnaryCallError.connection("no answer within 200 ms")) {
            _ = try await connection.call(path: "/etcdserverpb.KV/Range", message: [], timeout: .milliseconds(200))
        }
        await connection.close()
    }

    /// A server that ends each connection as it accepts it (as the front server does past its
    /// handshake timeout or connection limit): connecting or the call fails with a
    /// `UnaryCallError` that says so, never with one of NIO's pipeline errors.
    @Test func aServerThatClosesAsItAcceptsFailsWithAConnectionError() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.close() }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        for _ in 0..<300 {
            do {
                let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: port)
                await #expect(throws: UnaryCallError.self) {
                    _ = try await connection.call(path: "/etcdserverpb.KV/Range", message: [], timeout: .seconds(30))
                }
                await connection.close()
            } catch let error as UnaryCallError {
                guard case .connection = error else { Issue.record("\(error)"); continue }
            } catch {
                Issue.record("connecting failed with \(error), not a UnaryCallError")
            }
        }
    }
}
