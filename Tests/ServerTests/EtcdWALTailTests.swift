import Foundation
import Raft
import Server
import Testing
import WAL
import RealEtcdSupport

/// What rafttop shows of a real etcd member's WAL: summaries of etcd's requests, and the tail
/// the WAL pane reads, which re-reads only what grew.
@Suite struct EtcdWALTailTests {
    typealias P = EtcdWALEncoder.Proto

    static func request(_ field: UInt64, _ body: [UInt8]) -> [UInt8] {
        P.varint(1, 77) + P.bytes(100, P.varint(1, 77)) + P.bytes(field, body)
    }

    static func normal(_ data: [UInt8]) -> EtcdEntry { EtcdEntry(term: 2, index: 5, data: data) }

    @Test func summarisesEtcdRequests() {
        let cases: [([UInt8], String)] = [
            (Self.request(4, P.string(1, "k") + P.bytes(2, [UInt8](repeating: 1, count: 256))), "put k = 256 B"),
            (Self.request(3, P.string(1, "a") + P.string(2, "b")), "range a.."),
            (Self.request(5, P.string(1, "k")), "delete k"),
            (Self.request(6, P.bytes(1, [8, 0]) + P.bytes(2, []) + P.bytes(2, []) + P.bytes(3, [])), "txn 1 cmp, 2/1 ops"),
            (Self.request(7, P.varint(1, 42)), "compact @42"),
            (Self.request(8, P.varint(1, 60) + P.varint(2, 0x390d)), "lease grant 390d ttl 60s"),
            (Self.request(9, P.varint(1, 0x390d)), "lease revoke 390d"),
            (Self.request(10, P.varint(1, 1) + P.varint(2, 0xab) + P.varint(3, 1)), "alarm activate NOSPACE ab"),
            (Self.request(11, P.bytes(1, []) + P.bytes(1, [])), "lease checkpoint 2"),
            (Self.request(1000, []), "auth enable"),
            (Self.request(1011, []), "auth disable"),
            (Self.request(1100, P.string(1, "alice") + P.string(2, "secret")), "user add alice"),
            (Self.request(1104, P.string(1, "alice") + P.string(2, "root")), "user grant alice root"),
            (Self.request(1200, P.string(1, "root")), "role add root"),
            (Self.request(1203, P.string(1, "r") + P.bytes(2, P.varint(1, 2) + P.string(2, "k"))), "role grant r readwrite k"),
            (Self.request(1300, P.string(1, "3.5.0")), "cluster version 3.5.0"),
        ]
        for (data, expected) in cases {
            let view = LogEntryView(Self.normal(data))
            #expect(view.summary == expected)
            #expect(view.kind == .request)
            #expect(!view.summary.contains("secret"))
        }
    }

    @Test func summarisesV2RequestsAsEtcdDumpLogs() {
        // gogoproto writes every field of a v2 Request, so dir (5) is there as a varint.
        let v2 = P.varint(1, 9) + P.string(2, "PUT") + P.string(3, "/0/version") + P.string(4, "3.4.0")
            + P.varint(5, 0) + P.string(6, "") + P.varint(7, 0) + P.varint(9, 0)
        #expect(LogEntryView(Self.normal(v2)).summary == #"method=PUT path="/0/version" val="3.4.0""#)
        let noop = P.varint(1, 9) + P.string(2, "") + P.varint(5, 0)
        #expect(LogEntryView(Self.normal(noop)).summary == "noop")
    }

    @Test func summarisesConfChangesAndEmptyEntries() {
        let add = EtcdEntry(term: 1, index: 1, type: 1, data: P.varint(1, 0) + P.varint(2, 0) + P.varint(3, 3) + P.bytes(4, []))
        #expect(LogEntryView(add).summary == "conf add member 3")
        #expect(LogEntryView(add).kind == .confChange)
        let remove = EtcdEntry(term: 1, index: 1, type: 1, data: P.varint(2, 1) + P.varint(3, 0xab))
        #expect(LogEntryView(remove).summary == "conf remove member ab")
        let learner = EtcdEntry(term: 1, index: 1, type: 2, data: P.bytes(2, P.varint(1, 3) + P.varint(2, 4)))
        #expect(LogEntryView(learner).summary == "conf add learner 4")
        #expect(LogEntryView(EtcdEntry(term: 2, index: 2)).kind == .empty)
        #expect(LogEntryView(Self.normal([0xff, 0xff])).summary == "2 B, undecodable")
    }

    @Test func tailReadsOnlyWhatGrew() throws {
        let root = NSTemporaryDirectory() + "rafttop-etcdtail-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let wal = root + "/member/wal"
        try FileManager.default.createDirectory(atPath: wal, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = wal + "/0000000000000000-0000000000000000.wal"
        var encoder = EtcdWALEncoder()
        var bytes = encoder.frame(.crc(0)) + encoder.frame(.metadata(nodeID: 1, clusterID: 2)) + encoder.frame(.snapshot(index: 0, term: 0))
        func put(_ index: UInt64, valueBytes: Int = 1) -> [UInt8] {
            let value = P.bytes(2, [UInt8](repeating: 0x76, count: valueBytes))
            return encoder.frame(.entry(EtcdEntry(term: 2, index: index, data: Self.request(4, P.string(1, "k\(index)") + value))))
        }
        for index: UInt64 in 1...3 { bytes += put(index) }
        bytes += encoder.frame(.hardState(HardState(term: 2, vote: 1, commit: 3)))
        // A preallocated segment: zeros after the records.
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes + [UInt8](repeating: 0, count: 8192)))
        let file = try #require(FileHandle(forWritingAtPath: path))
        let tail = EtcdWALTail(dataDirectory: root)
        let first = try tail.latest(10).get()
        #expect(first.entries.map(\.summary) == ["put k1 = 1 B", "put k2 = 1 B", "put k3 = 1 B"])
        #expect(first.commit == 3)

        // etcd appends a put and the next frame up to a page boundary (its writes are page-aligned).
        let more = put(4)
        let half = put(5, valueBytes: 2000)
        let state = encoder.frame(.hardState(HardState(term: 2, vote: 1, commit: 5)))
        let halfStart = bytes.count + more.count
        let cut = ((halfStart + 16) / 512 + 1) * 512 - halfStart
        #expect(cut < half.count)
        try file.seek(toOffset: UInt64(bytes.count))
        file.write(Data(more + half.prefix(cut)))
        let second = try tail.latest(2).get()
        #expect(second.entries.map(\.index) == [3, 4])
        #expect(second.tornTail?.offset == bytes.count + more.count)

        // The rest of the frame lands: the tail continues from where it stopped.
        file.write(Data(half.suffix(from: cut) + state))
        let third = try tail.latest(10).get()
        #expect(third.entries.map(\.index) == [1, 2, 3, 4, 5])
        #expect(third.commit == 5)
        #expect(third.tornTail == nil)
        try file.close()
    }

    @Test func tailStartsOverWhenTheSegmentShrinks() throws {
        let root = NSTemporaryDirectory() + "rafttop-etcdtail-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/0000000000000000-0000000000000000.wal"
        func segment(_ indexes: ClosedRange<UInt64>, term: UInt64) -> [UInt8] {
            var encoder = EtcdWALEncoder()
            return indexes.reduce(encoder.frame(.crc(0))) { bytes, index in
                bytes + encoder.frame(.entry(EtcdEntry(term: term, index: index, data: Self.request(5, P.string(1, "k")))))
            }
        }
        _ = FileManager.default.createFile(atPath: path, contents: Data(segment(1...6, term: 1)))
        let tail = EtcdWALTail(dataDirectory: root)
        #expect(try tail.latest(10).get().entries.map(\.index) == [1, 2, 3, 4, 5, 6])
        // Rewritten shorter (a repaired tail, a new member on the same directory): read again from the start.
        _ = FileManager.default.createFile(atPath: path, contents: Data(segment(1...2, term: 3)))
        let again = try tail.latest(10).get()
        #expect(again.entries.map(\.index) == [1, 2])
        #expect(again.entries.map(\.term) == [3, 3])
    }

    @Test func tailNamesCorruptionWithFileAndOffset() throws {
        let root = NSTemporaryDirectory() + "rafttop-etcdtail-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var encoder = EtcdWALEncoder()
        let crcFrame = encoder.frame(.crc(0))
        var bytes = crcFrame + encoder.frame(.entry(EtcdEntry(term: 1, index: 1, data: [UInt8](repeating: 3, count: 40))))
        bytes[crcFrame.count + 30] ^= 0x10
        let path = root + "/0000000000000000-0000000000000000.wal"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        guard case .failure(let error) = EtcdWALTail(dataDirectory: root).latest(5) else {
            Issue.record("a bad crc must fail")
            return
        }
        #expect(error.position?.file == path)
        #expect(error.position?.offset == crcFrame.count)
        #expect(EtcdWALTail(dataDirectory: root + "/none").latest(5).isFailure)
    }

    @Test(.enabled(if: RealEtcd.isInstalled)) func realEtcdPutsShowInTheTail() async throws {
        let etcd = try RealEtcd()
        do {
            try await etcd.etcdctl(["put", "wal-tail-k1", "v1"])
            let tail = EtcdWALTail(dataDirectory: etcd.dataDirectory)
            // etcd may answer a put before its WAL write lands (it applies while it writes), so
            // the tail is read until the put shows, a bounded number of times.
            let before = try await Self.read(tail) { $0.contains { $0.summary == "put wal-tail-k1 = 2 B" } }
            #expect(before.entries.contains { $0.summary == "put wal-tail-k1 = 2 B" })
            try await etcd.etcdctl(["put", "wal-tail-k2", String(repeating: "x", count: 256)])
            // Read while etcd runs: the new put is there, read from where the last call stopped.
            let after = try await Self.read(tail) { $0.contains { $0.summary == "put wal-tail-k2 = 256 B" } }
            #expect(after.entries.contains { $0.summary == "put wal-tail-k2 = 256 B" })
            #expect(after.entries.contains { $0.kind == .confChange && $0.summary.hasPrefix("conf add member ") })
            let firstPut = try #require(after.entries.first { $0.summary == "put wal-tail-k1 = 2 B" })
            #expect(after.commit >= firstPut.index)
            // The whole WAL read while etcd holds it: no corruption, the puts in order.
            let contents = try EtcdWALContents.read(directory: try #require(EtcdWALDirectory.locate(etcd.dataDirectory)))
            #expect(contents.corruption == nil)
            let puts = contents.entries.map { LogEntryView($0).summary }.filter { $0.hasPrefix("put wal-tail") }
            #expect(puts == ["put wal-tail-k1 = 2 B", "put wal-tail-k2 = 256 B"])
            await etcd.stop()
        } catch {
            await etcd.stop()
            throw error
        }
    }

    /// The tail's view once `done` holds of its entries, or after 200 reads 20 ms apart.
    static func read(_ tail: EtcdWALTail, until done: ([LogEntryView]) -> Bool) async throws -> EtcdWALTail.View {
        var view = try tail.latest(100).get()
        for _ in 0..<200 where !done(view.entries) {
            try await Task.sleep(for: .milliseconds(20))
            view = try tail.latest(100).get()
        }
        return view
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
