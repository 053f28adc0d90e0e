import Cluster
@testable import EtcdAPI
import GRPCCore
import Testing

/// Attached to a cluster that does not answer: failed puts become one event per kind of error
/// with a count, in words rather than grpc-swift's transport story; and a lost connection is
/// tried again within a second.
@Suite struct AttachFailureTests {
    @Test func failedPutsToAnUnreachableMemberAreCountedInOneEvent() async throws {
        // Port 1 on the loopback: nothing listens, so every connection is refused at once.
        let attachment = try EtcdAttachment(endpoints: ["127.0.0.1:1"], requestTimeout: .seconds(30))
        attachment.start()
        var messages: [String] = []
        for i in 0..<3 {
            if case .failure(let error) = await attachment.put(key: "k\(i)", value: [1]) { messages.append(error.message) }
        }
        let snapshot = attachment.snapshot()
        await attachment.shutdown()
        #expect(messages.count == 3)
        #expect(snapshot.putsFailed == 3)
        let failures = snapshot.events.filter { if case .clientError = $0.kind { true } else { false } }
        // One event per kind of error: refused at once, normally; on a loaded machine a put can
        // also run out of time before its connection is refused, which is a second kind.
        let kinds = Set(messages)
        #expect(failures.count == kinds.count, "\(failures.map(\.description))")
        let text = try #require(failures.last).description
        if kinds.count == 1 { #expect(text.contains("3 puts failed via m1"), "\(text)") }
        #expect(text.contains("k2"), "\(text)")
        for message in messages {
            #expect(message.count <= RPCErrorText.lengthMax, "\(message)")
            #expect(!message.contains("errno") && !message.contains("\n"), "\(message)")
        }
    }

    @Test func aTallyCountsEachKindAndASuccessStartsAfresh() {
        var log = EventLog()
        var tally = FailureTally()
        log.append(ClusterEvent(atNanos: 0, kind: .note("start")))
        for (i, kind) in ["refused", "refused", "timeout", "refused"].enumerated() {
            tally.failed(kind, atNanos: UInt64(i), into: &log) { "\($0)x \(kind)" }
        }
        #expect(log.events.map(\.description) == ["start", "client error: 1x timeout", "client error: 3x refused"])
        tally.succeeded()
        tally.failed("refused", atNanos: 9, into: &log) { "\($0)x refused" }
        #expect(log.events.map(\.description).suffix(2) == ["client error: 3x refused", "client error: 1x refused"])
    }

    @Test func grpcErrorsReadAsShortSentences() {
        let refused = RPCErrorText.short(code: .unavailable, message: """
            Could not establish a connection to [ipv4]127.0.0.1:1. Unavailable: connection refused (errno: 111)
            """)
        #expect(refused == "connection refused: the member is not listening")
        #expect(RPCErrorText.short(code: .deadlineExceeded, message: "Timed out waiting for an HTTP/2 stream") ==
                "no answer before the deadline (timed out)")
        #expect(RPCErrorText.short(code: .unavailable, message: "etcdserver: leader changed") == "etcdserver: leader changed")
        #expect(RPCErrorText.cut(String(repeating: "x", count: 200)).count == RPCErrorText.lengthMax)
    }

    @Test func aLostConnectionIsTriedAgainWithinASecond() {
        let backoff = EtcdStatusPoller.reconnectBackoff
        #expect(backoff.initial <= .milliseconds(250))
        #expect(backoff.max <= .seconds(1), "grpc-swift's default waits up to 2 minutes between tries")
    }
}
