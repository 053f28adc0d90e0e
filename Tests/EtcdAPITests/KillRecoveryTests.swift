import Foundation
import Synchronization
import Testing

/// A real process killed without warning: every put etcdctl saw acknowledged must be there
/// after a restart on the same data directory.
@Suite(.serialized, .enabled(if: ExternalTools.haveClients, "etcdctl is not installed: apt-get install etcd-client"))
struct KillRecoveryTests {
    /// Puts k0, k1, ... one etcdctl call at a time until three in a row fail; returns the keys
    /// etcdctl saw acknowledged, counting them in `progress` as they come.
    static func putUntilFailing(_ served: EtcdctlEndToEndTests.Served, progress: Progress) -> [String] {
        var acknowledged: [String] = []
        var failuresInARow = 0
        var i = 0
        while failuresInARow < 3 && i < 10_000 {
            let key = "kill-\(i)"
            let out = try? EtcdctlEndToEndTests.etcdctl(served, ["--command-timeout=2s", "--dial-timeout=1s", "put", key, "value-\(i)"])
            if out?.status == 0 && out?.stdout == "OK\n" {
                acknowledged.append(key)
                progress.acknowledged.add(1, ordering: .relaxed)
                failuresInARow = 0
            } else {
                failuresInARow += 1
            }
            i += 1
        }
        return acknowledged
    }

    @Test func sigkillInTheMiddleOfTheLoadLosesNoAcknowledgedPut() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-kill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let served = try await EtcdctlEndToEndTests.serve(dataDirectory: directory)
        defer { served.process.stop() }

        let progress = Progress()
        let writer = Task.detached { Self.putUntilFailing(served, progress: progress) }
        // The kill comes once some puts are acknowledged, however slowly etcdctl starts up.
        try await waitFor("puts acknowledged before the kill") { progress.acknowledged.load(ordering: .relaxed) >= 20 }
        let pid = served.process.process.processIdentifier
        #expect(kill(pid, SIGKILL) == 0)
        let acknowledged = await writer.value
        #expect(acknowledged.count > 0, "some puts were acknowledged before the kill")

        let restarted = try await EtcdctlEndToEndTests.serve(dataDirectory: directory)
        defer { restarted.process.stop() }
        let listing = try EtcdctlEndToEndTests.ok(restarted, ["get", "kill-", "--prefix"])
        let lines = listing.split(separator: "\n").map(String.init)
        var stored: [String: String] = [:]
        var index = 0
        while index + 1 < lines.count {
            stored[lines[index]] = lines[index + 1]
            index += 2
        }
        let missing = acknowledged.filter { stored[$0] != "value-" + $0.dropFirst("kill-".count) }
        #expect(missing.isEmpty, "acknowledged before SIGKILL but missing after restart: \(missing.prefix(10))")
        try await restarted.process.terminate()
    }
}

/// The count of puts acknowledged so far, shared with the writer.
final class Progress: Sendable {
    let acknowledged = Atomic<Int>(0)
}
