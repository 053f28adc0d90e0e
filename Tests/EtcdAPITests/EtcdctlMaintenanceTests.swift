import Foundation
import Testing

/// etcdctl 3.4's maintenance commands against `rafttop serve`: alarm list and disarm after a full
/// quota, endpoint hashkv and status, defrag, snapshot save, and `rafttop snapshot restore`.
@Suite(.serialized, .enabled(if: ExternalTools.haveClients, "etcdctl or curl is not installed: apt-get install etcd-client curl"))
struct EtcdctlMaintenanceTests {
    typealias E2E = EtcdctlEndToEndTests

    /// etcdctl's own 5 s deadline is short on a loaded two-core machine running three members.
    static let patience = "--command-timeout=60s"

    static func ok(_ served: E2E.Served, _ arguments: [String]) throws -> String {
        try E2E.ok(served, [patience] + arguments)
    }

    static func etcdctl(_ served: E2E.Served, _ arguments: [String]) throws -> ExternalTools.Output {
        try E2E.etcdctl(served, [patience] + arguments)
    }

    static func temporaryDirectory(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-\(name)-\(UUID().uuidString)").path
    }

    /// The revision the cluster is at, from `endpoint status`.
    static func revision(_ served: E2E.Served) throws -> Int {
        let statuses = try #require(try E2E.json(try Self.ok(served, ["endpoint", "status", "-w", "json"])) as? [[String: Any]])
        let header = try #require((statuses.first?["Status"] as? [String: Any])?["header"] as? [String: Any])
        return try #require(header["revision"] as? Int)
    }

    @Test func alarmListAndDisarmAfterAFullQuota() async throws {
        let directory = Self.temporaryDirectory("quota")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var served = try await E2E.serve(dataDirectory: directory, extraArguments: ["--quota-backend-bytes", "40000"])
        defer { served.process.stop() }
        let value = String(repeating: "x", count: 2_000)
        var refusal: String?
        for i in 0..<100 where refusal == nil {
            // A put can also time out on a loaded machine; only the quota's refusal ends the loop.
            let out = try Self.etcdctl(served, ["put", "key\(i % 5)", value])
            if out.status != 0 && out.stderr.contains("database space exceeded") { refusal = out.stderr }
        }
        let stderr = try #require(refusal, "a 40,000-byte quota holds fewer than 100 puts of 2,000 bytes")
        #expect(stderr.contains("Error: etcdserver: mvcc: database space exceeded"))

        // Usually the member etcdctl asked raised it; a put that passed a member's check while that
        // member had not yet applied the put before it is refused when applied, and then every
        // member raises its own, as in etcd. endpoint status's last column lists the alarms on
        // every member once each has applied them.
        var alarms = ""
        try await waitFor("the alarms in every member's status", seconds: 30) {
            alarms = try Self.ok(served, ["alarm", "list"])
            let listed = alarms.split(separator: "\n").joined(separator: ", ")
            let lines = try Self.ok(served, ["endpoint", "status"]).split(separator: "\n")
            return !listed.isEmpty && lines.count == 3 && lines.allSatisfy { $0.hasSuffix(listed) }
        }
        #expect(alarms.range(of: #"^(memberID:[0-9]+ alarm:NOSPACE \n){1,3}$"#, options: .regularExpression) != nil,
                "alarm list printed \(alarms)")
        // The alarm is in every member's log: a restart on the same data keeps it.
        try await served.process.terminate()
        served = try await E2E.serve(dataDirectory: directory, extraArguments: ["--quota-backend-bytes", "40000"])
        #expect(try Self.ok(served, ["alarm", "list"]) == alarms, "the alarms after a restart")
        let refusedAgain = try Self.etcdctl(served, ["put", "more", "data"])
        #expect(refusedAgain.status != 0 && refusedAgain.stderr.contains("database space exceeded"))

        let revision = try Self.revision(served)
        #expect(try Self.ok(served, ["compaction", String(revision)]) == "compacted revision \(revision)\n")
        let defragged = try Self.ok(served, ["defrag"])
        #expect(defragged.split(separator: "\n").count == 3)
        #expect(defragged.split(separator: "\n").allSatisfy { $0.hasPrefix("Finished defragmenting etcd member[") })
        #expect(try Self.ok(served, ["alarm", "disarm"]) == alarms, "disarm prints the alarms it took down")
        #expect(try Self.ok(served, ["alarm", "list"]).isEmpty)
        #expect(try Self.ok(served, ["put", "after", "disarm"]) == "OK\n")
        #expect(try Self.ok(served, ["get", "after"]) == "after\ndisarm\n")
    }

    @Test func endpointHashkvIsEqualOnEveryMemberAndStatusShowsTheDbSize() async throws {
        let directory = Self.temporaryDirectory("hashkv")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let served = try await E2E.serve(dataDirectory: directory)
        defer { served.process.stop() }
        for i in 0..<20 { _ = try Self.ok(served, ["put", "k\(i % 6)", "value \(i)"]) }
        _ = try Self.ok(served, ["del", "k2"])
        _ = try Self.ok(served, ["compaction", "10"])
        _ = try Self.ok(served, ["put", "k2", "back"])
        let revision = try Self.revision(served)
        var kvs: [[String: Any]] = []
        // Members apply the last put at their own pace: ask until all answer at its revision.
        try await waitFor("every member's hashkv at revision \(revision)", seconds: 30) {
            let answers = try E2E.json(try Self.ok(served, ["endpoint", "hashkv", "--cluster", "-w", "json"])) as? [[String: Any]] ?? []
            kvs = answers.compactMap { $0["HashKV"] as? [String: Any] }
            let revisions = kvs.compactMap { ($0["header"] as? [String: Any])?["revision"] as? Int }
            return revisions == [revision, revision, revision]
        }
        let hashes = kvs.compactMap { $0["hash"] as? Int }
        #expect(hashes.count == 3 && Set(hashes).count == 1, "hashes \(hashes)")
        #expect(kvs.allSatisfy { $0["compact_revision"] as? Int == 10 })
        let text = try Self.ok(served, ["endpoint", "hashkv", "--cluster"]).split(separator: "\n")
        #expect(text.count == 3 && text.allSatisfy { $0.hasSuffix(", \(hashes[0])") })

        let statuses = try #require(try E2E.json(try Self.ok(served, ["endpoint", "status", "-w", "json"])) as? [[String: Any]])
        for status in statuses.compactMap({ $0["Status"] as? [String: Any] }) {
            let size = try #require(status["dbSize"] as? Int)
            let inUse = try #require(status["dbSizeInUse"] as? Int)
            #expect(size > 0 && inUse > 0 && inUse <= size)
        }
    }

    @Test func snapshotSaveThenRestoreStartsAClusterHoldingTheKeys() async throws {
        let original = Self.temporaryDirectory("snap-from")
        let restored = Self.temporaryDirectory("snap-to")
        let file = Self.temporaryDirectory("snap") + ".db"
        defer {
            for path in [original, restored, file] { try? FileManager.default.removeItem(atPath: path) }
        }
        let served = try await E2E.serve(dataDirectory: original)
        for i in 0..<30 { _ = try Self.ok(served, ["put", "key/\(i)", "value \(i)"]) }
        _ = try Self.ok(served, ["del", "key/7"])
        let revision = try Self.revision(served)
        let saved = try ExternalTools.run(ExternalTools.etcdctl!, ["--endpoints=\(served.endpoints[1])", Self.patience, "snapshot", "save", file],
                                          environment: ["ETCDCTL_API": "3"])
        #expect(saved.status == 0, "snapshot save failed: \(saved.stderr)")
        #expect(saved.stdout == "Snapshot saved at \(file)\n")
        try await served.process.terminate()

        let rafttop = try #require(ExternalTools.rafttop)
        let restore = try ExternalTools.run(rafttop, ["snapshot", "restore", file, "--data-dir", restored])
        #expect(restore.status == 0, "restore failed: \(restore.stderr)")
        #expect(restore.stdout.contains("revision \(revision), 29 keys"))
        let again = try ExternalTools.run(rafttop, ["snapshot", "restore", file, "--data-dir", restored])
        #expect(again.status != 0 && again.stderr.contains("already holds member data"))

        let second = try await E2E.serve(dataDirectory: restored)
        defer { second.process.stop() }
        let keys = try Self.ok(second, ["get", "key/", "--prefix", "--keys-only"]).split(separator: "\n")
        #expect(keys.count == 29)
        #expect(!keys.contains("key/7"))
        #expect(try Self.ok(second, ["get", "key/12"]) == "key/12\nvalue 12\n")
        #expect(try Self.revision(second) == revision)
        #expect(try Self.ok(second, ["put", "key/new", "written"]) == "OK\n")
        #expect(try Self.revision(second) == revision + 1)
    }

    @Test func restoreNamesWhatIsWrongWithACorruptOrTruncatedFile() async throws {
        let directory = Self.temporaryDirectory("snap-bad")
        let file = Self.temporaryDirectory("snap-bad") + ".db"
        defer {
            for path in [directory, file] { try? FileManager.default.removeItem(atPath: path) }
        }
        let served = try await E2E.serve(dataDirectory: directory)
        defer { served.process.stop() }
        _ = try Self.ok(served, ["put", "k", "v"])
        let saved = try ExternalTools.run(ExternalTools.etcdctl!, ["--endpoints=\(served.endpoints[0])", Self.patience, "snapshot", "save", file],
                                          environment: ["ETCDCTL_API": "3"])
        try #require(saved.status == 0, "snapshot save failed: \(saved.stderr)")
        let good = try Data(contentsOf: URL(fileURLWithPath: file))
        let rafttop = try #require(ExternalTools.rafttop)
        func restore(_ data: Data, _ extra: [String] = []) throws -> ExternalTools.Output {
            let path = file + ".variant"
            try data.write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try ExternalTools.run(rafttop, ["snapshot", "restore", path, "--data-dir", directory + "-restored"] + extra)
        }
        defer { try? FileManager.default.removeItem(atPath: directory + "-restored") }
        var flipped = good
        flipped[100] ^= 0xff
        let corrupt = try restore(flipped)
        #expect(corrupt.status != 0 && corrupt.stderr.contains("sha256 mismatch"), "\(corrupt.stderr)")
        let truncated = try restore(good.prefix(good.count - 100))
        #expect(truncated.status != 0 && truncated.stderr.contains("truncated"), "\(truncated.stderr)")
        let tooLarge = try restore(good, ["--max-bytes", "500"])
        #expect(tooLarge.status != 0 && tooLarge.stderr.contains("more than the limit of 500 bytes"), "\(tooLarge.stderr)")
        let missing = try ExternalTools.run(rafttop, ["snapshot", "restore", file + ".none", "--data-dir", directory + "-restored"])
        #expect(missing.status != 0 && missing.stderr.contains("cannot be opened"))
        #expect(!FileManager.default.fileExists(atPath: directory + "-restored/member-1"), "nothing written for a bad file")
    }
}
