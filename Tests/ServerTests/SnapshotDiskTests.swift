import MVCC
import Raft
import Testing
import WAL
@testable import Server

/// Members on a disk keep their snapshot once, in its file: not in memory, not in older files.
@Suite struct SnapshotDiskTests {

    /// A WAL persistence on a simulated disk with 64 KiB segments.
    static func persistence(on disk: SimulatedDisk) -> WALPersistence {
        WALPersistence(fs: disk, directory: "/m", memberID: 1, clusterID: 1,
                       options: WALOptions(segmentSizeBytes: 64 * 1024))
    }

    static func snapshot(_ index: UInt64) -> Snapshot {
        Snapshot(metadata: SnapshotMetadata(index: index, term: 1, confState: ConfState(voters: [1])),
                 data: Array("state at \(index)".utf8))
    }

    static func snapFiles(_ disk: SimulatedDisk, _ directory: String) throws -> [String] {
        try disk.list(directory).sorted()
    }

    /// Writes `count` puts of 3,000-byte values, settling after each, through the leader.
    static func load(_ group: MemberGroup, _ lead: NodeID, count: Int, prefix: String = "k") throws {
        for i in 0..<count {
            group[lead].put(PutRequest(key: bytes("\(prefix)\(i % 10)"), value: Array(repeating: UInt8(i % 251), count: 3_000)),
                            completion: { _ in })
            try group.settle()
        }
    }

    /// A follower down while the leader puts 40 keys (`s0`...`s9`, snapshots every 10 entries,
    /// 2 kept for catch-up), then up again and ticked: the leader's log no longer reaches back
    /// to it, so only a snapshot can catch it up.
    static func followerBehindTheLog(disks: MemberGroup.Disks) throws -> (MemberGroup, lead: NodeID, follower: NodeID) {
        let group = try MemberGroup(disks: disks) { $0.snapshotCount = 10; $0.snapshotCatchUpEntries = 2 }
        let lead = try group.electLeader()
        let follower = group.ids.first { $0 != lead }!
        group.down.insert(follower)
        try load(group, lead, count: 40, prefix: "s")
        group.down.remove(follower)
        try group.tick(5)
        return (group, lead, follower)
    }

    @Test func aMemberKeepsOneSnapshotFileAndNoWALSegmentBeforeIt() throws {
        let group = try MemberGroup(disks: .simulated) { $0.snapshotCount = 20; $0.snapshotCatchUpEntries = 5 }
        let lead = try group.electLeader()
        try Self.load(group, lead, count: 100)
        for id in group.ids {
            let status = group[id].status()
            #expect(status.metrics.snapshotsTaken >= 4, "member \(id) took snapshots")
            let disk = try #require(group.persistence[id] as? SimulatedDiskPersistence).disk
            let snaps = try Self.snapFiles(disk, "/member-\(id)/snap")
            #expect(snaps == [Snapshotter.fileName(term: status.raft.term, index: status.snapshotIndex)],
                    "member \(id) keeps only its newest snapshot")
            let segments = try disk.list("/member-\(id)/wal").compactMap(SegmentName.init(fileName:)).sorted()
            #expect(segments.count >= 2, "member \(id) wrote more than one segment")
            // Only the segment holding the snapshot's index may start at or before it.
            #expect(segments.filter { $0.index <= status.snapshotIndex }.count == 1,
                    "member \(id) released every segment before its snapshot at \(status.snapshotIndex): \(segments)")
        }
    }

    @Test func aLeaderSendsASnapshotItReadsBackFromDisk() throws {
        let (group, _, follower) = try Self.followerBehindTheLog(disks: .simulated)
        #expect(group[follower].status().metrics.snapshotsInstalled >= 1)
        #expect(try group[follower].localRange(RangeRequest(range: .prefix(bytes("s")), countOnly: true)).count == 10)
        // Installed and saved, the snapshot is the follower's one file, and it restarts from it.
        let disk = try #require(group.persistence[follower] as? SimulatedDiskPersistence).disk
        #expect(try Self.snapFiles(disk, "/member-\(follower)/snap").count == 1)
        try group.restart(follower)
        try group.settle()
        let kv = try group[follower].localRange(RangeRequest(range: KeyRange(key: bytes("s9")))).kvs.first
        #expect(kv?.value == Array(repeating: UInt8(39), count: 3_000))
    }

    @Test func withNothingToReadBackTheLeaderSendsNoSnapshot() throws {
        // The same as above, but the snapshot's file cannot be read back: the leader, which no
        // longer holds the data, has nothing to send.
        let (group, lead, follower) = try Self.followerBehindTheLog(disks: .simulatedWithoutReadingBack)
        #expect(group[lead].status().metrics.snapshotsTaken >= 1)
        #expect(group[follower].status().metrics.snapshotsInstalled == 0)
        #expect(try group[follower].localRange(RangeRequest(range: .prefix(bytes("s")), countOnly: true)).count == 0)
    }

    @Test func aCrashBetweenTheFileAndItsMarkerRestartsFromThePreviousSnapshot() throws {
        let disk = SimulatedDisk()
        let persistence = Self.persistence(on: disk)
        _ = try persistence.load()
        let entries = (1...30).map { Entry(term: 1, index: $0, data: [UInt8($0)]) }
        _ = try persistence.save(hardState: HardState(term: 1, commit: 30), entries: entries, mustSync: true)
        try persistence.saveSnapshot(Self.snapshot(10))
        // The next snapshot's file is written and synced; the process dies before the WAL marks it.
        try Snapshotter(fs: disk, directory: "/m/snap").save(Self.snapshot(20))
        persistence.abandon()
        var random = SplitMix64(seed: 3)
        disk.crash(using: &random)

        let restarted = Self.persistence(on: disk)
        let recovered = try restarted.load()
        #expect(recovered.snapshot == Self.snapshot(10))
        #expect(recovered.entries.first?.index == 11)
        #expect(recovered.entries.last?.index == 30)
        // Only the marked snapshot is read back for a follower.
        #expect(restarted.loadSnapshotData(Self.snapshot(10).metadata) == Self.snapshot(10).data)
        #expect(restarted.loadSnapshotData(Self.snapshot(20).metadata) == nil)
        // The next marked snapshot replaces both.
        try restarted.saveSnapshot(Self.snapshot(25))
        #expect(try Self.snapFiles(disk, "/m/snap") == [Snapshotter.fileName(term: 1, index: 25)])
        #expect(try restarted.load().snapshot == Self.snapshot(25))
    }

    @Test func aSnapshotOlderThanTheMarkedOneIsNotKept() throws {
        let disk = SimulatedDisk()
        let persistence = Self.persistence(on: disk)
        _ = try persistence.load()
        try persistence.saveSnapshot(Self.snapshot(20))
        #expect(throws: RaftError.snapshotOutOfDate) {
            try persistence.saveSnapshot(Self.snapshot(10).metadata, dataBytes: 3) { append in try append([1, 2, 3]) }
        }
        #expect(try Self.snapFiles(disk, "/m/snap") == [Snapshotter.fileName(term: 1, index: 20)])
    }

    @Test func aStreamedSnapshotHasTheLayoutOfOneEncodedWhole() throws {
        let store = MVCCStore()
        for i in 0..<3_000 {
            _ = try store.put(PutRequest(key: bytes("key\(i)"), value: Array(repeating: UInt8(i % 256), count: 100)))
        }
        var leases = LeaseTable()
        try leases.grant(id: 7, ttlSeconds: 30)
        var membership = Membership()
        membership.apply(ConfChange(kind: .addNode, nodeID: 1), context: nil)
        let whole = AppliedSnapshot(store: store.snapshotData(), auth: AuthState(), leases: leases, membership: membership)
        let writer = AppliedSnapshotWriter(store: store.image(), auth: AuthState(), leases: leases, alarms: AlarmSet(),
                                           membership: membership)
        var pieces = 0
        var streamed: [UInt8] = []
        writer.write(pieceBytes: 64 * 1024) { piece in
            pieces += 1
            streamed += piece
        }
        #expect(pieces > 3, "the store came in pieces")
        #expect(writer.encodedBytes == streamed.count)
        #expect(streamed == whole.encoded())
        let decoded = try AppliedSnapshot(decoding: streamed)
        #expect(decoded.store == store.snapshotData())
        #expect(decoded.leases == leases)
        #expect(decoded.membership == membership)
    }

    @Test func aSnapshotGivenUpIsDecodedInItsOwnBuffer() throws {
        let store = MVCCStore()
        for i in 0..<1_000 { _ = try store.put(PutRequest(key: bytes("key\(i)"), value: bytes("value \(i)"))) }
        let data = AppliedSnapshot(store: store.snapshotData(), auth: AuthState()).encoded()
        let buffer = data.withUnsafeBytes { $0.baseAddress }
        let decoded = try AppliedSnapshot(decoding: consume data)
        #expect(decoded.store == store.snapshotData())
        // The store's bytes were moved to the front of the buffer read from disk, not copied out.
        #expect(decoded.store.withUnsafeBytes { $0.baseAddress } == buffer)
    }
}

extension MemberGroup.Disks {
    static let simulated = Self { id, clock in
        SimulatedDiskPersistence(memberID: id, clusterID: 1, seed: id, clockNanos: { clock.nowNanos() })
    }
    static let simulatedWithoutReadingBack = Self { id, clock in ForgetfulPersistence(simulated.make(id, clock)) }
}

/// A disk whose snapshots cannot be read back (as if every file were gone).
final class ForgetfulPersistence: RaftPersistence {
    let inner: any RaftPersistence

    init(_ inner: any RaftPersistence) { self.inner = inner }

    func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws -> UInt64 {
        try inner.save(hardState: hardState, entries: entries, mustSync: mustSync)
    }

    func saveSnapshot(_ snapshot: Snapshot) throws { try inner.saveSnapshot(snapshot) }

    func saveSnapshot(_ metadata: SnapshotMetadata, dataBytes: Int,
                      write: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        try inner.saveSnapshot(metadata, dataBytes: dataBytes, write: write)
    }

    func loadSnapshotData(_ metadata: SnapshotMetadata) -> [UInt8]? { nil }

    func load() throws -> RecoveredState { try inner.load() }

    func close() { inner.close() }
}
