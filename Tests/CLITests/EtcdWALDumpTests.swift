import Foundation
import Testing
import RealEtcdSupport

/// `rafttop wal dump` of a real etcd 3.4 member's data directory: the puts made with etcdctl,
/// exit 0 with where on a torn tail, non-zero naming file and offset on corruption.
@Suite struct EtcdWALDumpTests {
    @Test(.enabled(if: RealEtcd.isInstalled)) func dumpsPutsMadeWithEtcdctl() async throws {
        let etcd = try RealEtcd()
        do {
            try await etcd.etcdctl(["put", "dump-k1", "hello"])
            try await etcd.etcdctl(["put", "dump-k2", String(repeating: "z", count: 300)])
            try await etcd.etcdctl(["del", "dump-k1"])

            // Read while etcd runs and holds its lock. etcd may answer a request before its WAL
            // write lands (it applies while it writes), so the dump runs until the last one shows.
            var live = try await Rafttop.run(["wal", "dump", etcd.dataDirectory])
            for _ in 0..<50 where !live.stdout.contains("norm\tdelete dump-k1") {
                try await Task.sleep(for: .milliseconds(50))
                live = try await Rafttop.run(["wal", "dump", etcd.dataDirectory])
            }
            #expect(live.status == 0, "\(live.stderr)")
            #expect(live.stdout.contains("norm\tput dump-k1 = 5 B"))
            #expect(live.stdout.contains("norm\tput dump-k2 = 300 B"))
            #expect(live.stdout.contains("norm\tdelete dump-k1"))
            #expect(live.stdout.contains("conf\tconf add member "))
            #expect(live.stdout.contains("method=PUT path=\"/0/members/"))
            #expect(live.stdout.contains("WAL metadata:\n  nodeID="))

            let json = try await Rafttop.run(["wal", "dump", "--json", etcd.dataDirectory + "/member/wal"])
            #expect(json.status == 0)
            let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let summaries = (document?["entries"] as? [[String: Any]])?.compactMap { $0["summary"] as? String } ?? []
            #expect(summaries.contains("put dump-k2 = 300 B"))
            #expect(document?["format"] as? String == "etcd")

            await etcd.stop()
        } catch {
            await etcd.stop()
            throw error
        }
    }

    /// The same dump over a copy of the member's WAL, cut short or with a flipped byte.
    @Test(.enabled(if: RealEtcd.isInstalled)) func tornAndCorruptCopies() async throws {
        let etcd = try RealEtcd()
        let copy = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let marker = String(repeating: "q", count: 200)
        let segment: [UInt8]
        let name: String
        do {
            try await etcd.etcdctl(["put", "dump-before", marker])
            try await etcd.etcdctl(["put", "dump-after", "v"])
            // Stopped first, so every write etcd answered for is in the file.
            await etcd.stop(keepFiles: true)
            defer { try? FileManager.default.removeItem(atPath: etcd.root) }
            let wal = etcd.dataDirectory + "/member/wal"
            name = try #require(try FileManager.default.contentsOfDirectory(atPath: wal).sorted().first { $0.hasSuffix(".wal") })
            segment = Array(try Data(contentsOf: URL(fileURLWithPath: wal + "/" + name)))
        } catch {
            await etcd.stop()
            throw error
        }
        let used = (segment.lastIndex { $0 != 0 } ?? 0) + 1
        let path = copy + "/" + name

        // A partial last frame: exit 0, saying where.
        try Data(segment.prefix(used - 3)).write(to: URL(fileURLWithPath: path))
        let torn = try await Rafttop.run(["wal", "dump", copy])
        #expect(torn.status == 0, "\(torn.stderr)")
        #expect(torn.stdout.contains("WAL tail torn"))
        #expect(torn.stdout.contains(path + " at byte "))
        #expect(torn.stdout.contains("put dump-before = 200 B"))

        // A flipped byte inside the first put's value: non-zero, naming the file and offset,
        // after printing the entries before it. A next segment follows, as when etcd has cut
        // one, so the damage cannot be read as a torn write (which only the last segment has).
        var damaged = Array(segment.prefix(used))
        let valueAt = try #require(Self.find(Array(marker.utf8), in: damaged))
        damaged[valueAt + 50] ^= 0x01
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        _ = FileManager.default.createFile(atPath: copy + "/0000000000000001-0000000000000100.wal", contents: Data())
        let corrupt = try await Rafttop.run(["wal", "dump", copy])
        #expect(corrupt.status != 0)
        #expect(corrupt.stderr.contains(path + " at byte "))
        #expect(corrupt.stderr.contains("crc mismatch"))
        #expect(corrupt.stdout.contains("method=PUT path=\"/0/version\""))
        #expect(!corrupt.stdout.contains("put dump-after"))
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
