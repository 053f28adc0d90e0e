import Cluster
import EtcdAPI
import Foundation
import Testing

/// The attach data source, headless, against `rafttop serve` and against a real etcd 3.4 cluster:
/// three members with a leader, indexes growing with its own puts. The attachment's calls get the
/// tests' `callTimeout` rather than its 2 s default: in a whole `swift test` run the client's tasks
/// wait for the cooperative pool, and a put once timed out there after 2 s though the server was fine.
@Suite(.serialized) struct AttachTests {
    /// Polls until `condition` holds of the attachment's snapshot.
    static func waitForSnapshot(_ attachment: EtcdAttachment, _ what: String,
                                _ condition: (ClusterSnapshot) -> Bool) async throws {
        try await waitFor(what) { condition(attachment.snapshot()) }
    }

    /// Puts through the attachment and checks every member's committed and applied indexes move
    /// past where they were, and the puts are timed and remembered.
    static func check(_ attachment: EtcdAttachment) async throws {
        try await waitForSnapshot(attachment, "three members answering with a leader") { s in
            s.attached?.members.allSatisfy(\.reachable) == true && s.leader != nil
        }
        let before = try #require(attachment.snapshot().attached?.members)
        #expect(before.filter(\.isLeader).count == 1)
        #expect(Set(before.map(\.memberID)).count == 3)
        #expect(before.allSatisfy { $0.raftTerm > 0 })
        for i in 0..<5 {
            let write = try await attachment.put(key: "attach-\(i)", value: Array("v\(i)".utf8)).get()
            #expect(write.revision > 1 && write.raftTerm > 0)
        }
        let highest = before.map(\.raftIndex).max() ?? 0
        try await waitForSnapshot(attachment, "every member to commit and apply the puts") { s in
            s.attached?.members.allSatisfy { $0.raftIndex >= highest + 5 && $0.raftAppliedIndex >= highest + 5 } == true
        }
        let after = attachment.snapshot()
        #expect(after.putsAcknowledged == 5 && after.putsFailed == 0)
        #expect(after.latency.count == 5)
        #expect(after.attached?.writes.map(\.key) == (0..<5).reversed().map { "attach-\($0)" })
        #expect(after.events.contains { if case .leaderElected = $0.kind { true } else { false } })
        let read = try await attachment.get(key: "attach-4").get()
        #expect(read.value == Array("v4".utf8))
    }

    @Test(.enabled(if: ExternalTools.rafttop != nil, "the rafttop binary was not built beside the tests"))
    func attachesToRafttopServe() async throws {
        let directory = NSTemporaryDirectory() + "rafttop-attach-serve-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let served = try await EtcdctlEndToEndTests.serve(dataDirectory: directory)
        defer { served.process.stop() }
        let attachment = try EtcdAttachment(endpoints: served.endpoints, pollInterval: .milliseconds(100),
                                            requestTimeout: callTimeout)
        attachment.start()
        do {
            try await Self.check(attachment)
        } catch {
            await attachment.shutdown()
            throw error
        }
        await attachment.shutdown()
    }

    @Test(.enabled(if: EtcdProcesses.etcd != nil, "etcd is not installed: apt-get install etcd-server"))
    func attachesToARealEtcdCluster() async throws {
        let cluster = try EtcdProcesses(members: 3, clientPortBase: 23791, peerPortBase: 23801)
        defer { cluster.stop() }
        let attachment = try EtcdAttachment(endpoints: cluster.endpoints, pollInterval: .milliseconds(100),
                                            requestTimeout: callTimeout)
        attachment.start()
        do {
            try await Self.check(attachment)
            // A member killed shows down; the others keep answering.
            cluster.kill(member: 3)
            try await Self.waitForSnapshot(attachment, "the killed member to show down") { s in
                s.attached?.members.map(\.reachable) == [true, true, false]
            }
            #expect(attachment.snapshot().members.map(\.state) == [.up, .up, .down])
        } catch {
            await attachment.shutdown()
            throw error
        }
        await attachment.shutdown()
    }
}
