import Check
import MVCC
import Raft
import Server
import Testing
@testable import WAL

/// Every decoder of bytes that come from disk or the network, fed seeded mutations of valid
/// encodings: each must return a value or throw its error, never crash or hang; what decodes
/// must encode and decode again to the same value. A failure names the seed and iteration.
@Suite struct DecoderFuzzTests {
    static let iterations = 20_000

    /// Runs `body` on `iterations` mutations of the corpus.
    static func fuzz(_ corpus: [[UInt8]], seed: UInt64, iterations: Int = iterations, _ body: ([UInt8]) throws -> Void) rethrows {
        var mutator = Mutator(seed: seed)
        for input in corpus { try body(input) }
        for _ in 0..<iterations {
            let base = corpus[mutator.below(corpus.count)]
            try body(mutator.mutate(base, corpus: corpus))
        }
    }

    // MARK: Raft

    static let messages: [Message] = [
        Message(type: .app, to: 2, from: 1, term: 3, logTerm: 2, index: 7, entries: [
            Entry(term: 3, index: 8, data: [1, 2, 3]), Entry(term: 3, index: 9, type: .confChange,
                                                             data: ConfChange(kind: .addNode, nodeID: 4).encoded()),
        ], commit: 6),
        Message(type: .appResp, to: 1, from: 2, term: 3, index: 5, reject: true, rejectHint: 4),
        Message(type: .heartbeat, to: 3, from: 1, term: 9, commit: 12, context: [0, 0, 0, 0, 0, 0, 0, 7]),
        Message(type: .snap, to: 3, from: 1, term: 4, snapshot: Snapshot(
            metadata: SnapshotMetadata(index: 50, term: 4, confState: ConfState(voters: [1, 2, 3])), data: Array("MVC1".utf8))),
        Message(type: .preVote, to: 2, from: 3, term: 5, logTerm: 4, index: 40),
    ]

    @Test func raftMessages() {
        Self.fuzz(Self.messages.map { $0.encoded() }, seed: 1) { bytes in
            guard let message = try? Message(decoding: bytes) else { return }
            #expect((try? Message(decoding: message.encoded())) == message)
        }
    }

    @Test func confChanges() {
        let corpus = [ConfChange(kind: .addNode, nodeID: 4, context: Array("http://m4".utf8)).encoded(),
                      ConfChange(kind: .removeNode, nodeID: 2).encoded()]
        Self.fuzz(corpus, seed: 2) { bytes in
            guard let change = try? ConfChange(decoding: bytes) else { return }
            #expect((try? ConfChange(decoding: change.encoded())) == change)
        }
    }

    // MARK: Server

    static let requests: [InternalRequest.Operation] = [
        .put(PutRequest(key: Array("k1".utf8), value: Array("value".utf8), lease: 7, prevKV: true)),
        .deleteRange(DeleteRangeRequest(range: KeyRange.prefix(Array("k".utf8)), prevKV: true)),
        .txn(TxnRequest(
            compare: [Compare(range: KeyRange(key: Array("k".utf8)), target: .value(Array("a".utf8)), result: .equal),
                      Compare(range: KeyRange(key: Array("j".utf8)), target: .modRevision(5), result: .less)],
            success: [.put(PutRequest(key: Array("k".utf8), value: Array("b".utf8))),
                      .txn(TxnRequest(success: [.range(RangeRequest(range: KeyRange(key: Array("x".utf8)), limit: 3))]))],
            failure: [.range(RangeRequest(range: KeyRange(key: Array("k".utf8)))),
                      .deleteRange(DeleteRangeRequest(range: KeyRange(key: Array("q".utf8))))])),
        .compact(revision: 42),
        .put(PutRequest(key: Array("kept".utf8), value: Array("v".utf8), ignoreLease: true)),
        .leaseGrant(id: 0x694d7a5c2f5e1c0b, ttlSeconds: 60),
        .leaseRevoke(id: -3),
        .auth(.userAdd(name: "alice", password: PasswordHash(hashing: "pw", rounds: 2))),
        .auth(.roleGrantPermission(role: "r", permission: Permission(kind: .readwrite, range: KeyRange.prefix(Array("app/".utf8))))),
        .auth(.roleRevokePermission(role: "r", range: KeyRange(key: Array("k".utf8)))),
        .auth(.userUpgradePassword(name: "alice", from: PasswordHash(hashing: "pw", rounds: 2), to: PasswordHash(hashing: "pw", rounds: 3))),
        .auth(.enable),
    ]

    @Test func internalRequests() {
        let corpus = Self.requests.enumerated().map { InternalRequest(id: UInt64($0.offset + 1), username: "root", operation: $0.element).encoded() }
        Self.fuzz(corpus, seed: 3) { bytes in
            guard let request = try? InternalRequest(decoding: bytes) else { return }
            #expect((try? InternalRequest(decoding: request.encoded())) == request)
            _ = InternalRequest.peekID(bytes)
        }
    }

    @Test func authSnapshots() throws {
        var state = AuthState()
        for operation in [AuthOperation.userAdd(name: "root", password: PasswordHash(hashing: "pw", rounds: 2)),
                          .userGrantRole(user: "root", role: "root"), .roleAdd(name: "r"),
                          .roleGrantPermission(role: "r", permission: Permission(kind: .read, range: KeyRange(key: Array("k".utf8)))),
                          .userAdd(name: "bob", password: nil), .userGrantRole(user: "bob", role: "r"), .enable] {
            _ = try state.apply(operation)
        }
        Self.fuzz([state.snapshotData(), AuthState().snapshotData()], seed: 11) { bytes in
            guard let decoded = try? AuthState(snapshotData: bytes) else { return }
            #expect((try? AuthState(snapshotData: decoded.snapshotData())) == decoded)
        }
    }

    @Test func leaseTables() throws {
        var table = LeaseTable()
        for (id, ttl) in [(Int64(7), Int64(10)), (-2, 2), (0x694d7a5c2f5e1c0b, LeaseTable.maxTTLSeconds)] {
            try table.grant(id: id, ttlSeconds: ttl)
        }
        Self.fuzz([table.snapshotData(), LeaseTable().snapshotData()], seed: 12) { bytes in
            guard let decoded = try? LeaseTable(snapshotData: bytes) else { return }
            #expect((try? LeaseTable(snapshotData: decoded.snapshotData())) == decoded)
        }
    }

    // MARK: MVCC

    static func storeSnapshot() throws -> [UInt8] {
        let store = MVCCStore()
        for i in 0..<12 {
            _ = try store.put(PutRequest(key: Array("k\(i % 5)".utf8), value: Array("v\(i)".utf8), lease: Int64(i % 2)))
            if i % 4 == 3 { _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: Array("k\(i % 5)".utf8)))) }
        }
        try store.compact(6)
        store.setConsistentIndex(30)
        return store.snapshotData()
    }

    /// A restored store must also survive being used: read, written, compacted, snapshotted.
    @Test func storeSnapshotRestore() throws {
        let corpus = [try Self.storeSnapshot(), MVCCStore().snapshotData()]
        Self.fuzz(corpus, seed: 4, iterations: 10_000) { bytes in
            let store = MVCCStore()
            guard (try? store.restore(fromSnapshot: bytes)) != nil else { return }
            _ = try? store.range(RangeRequest(range: KeyRange(key: [0], rangeEnd: [0])))
            _ = try? store.range(RangeRequest(range: KeyRange(key: Array("k1".utf8)), revision: store.compactRevision))
            _ = try? store.put(PutRequest(key: Array("k1".utf8), value: [1]))
            _ = try? store.deleteRange(DeleteRangeRequest(range: KeyRange(key: Array("k".utf8), rangeEnd: [0])))
            _ = try? store.compact(store.currentRevision)
            let again = MVCCStore()
            #expect((try? again.restore(fromSnapshot: store.snapshotData())) != nil)
        }
    }

    // MARK: WAL

    static func segment() throws -> (disk: SimulatedDisk, directory: String, name: String, bytes: [UInt8]) {
        let disk = SimulatedDisk()
        let directory = "/m/wal"
        let wal = try WAL.create(fs: disk, directory: directory, metadata: WALMetadata(memberID: 1, clusterID: 9))
        for i in UInt64(1)...20 {
            try wal.save(hardState: HardState(term: 2, vote: 1, commit: i), entries: [
                Entry(term: 2, index: i, type: i == 3 ? .confChange : .normal, data: Array(repeating: UInt8(i), count: Int(i % 7) * 5)),
            ], mustSync: true)
            if i == 10 { try wal.saveSnapshot(WALSnapshot(index: 8, term: 2)) }
        }
        try wal.close()
        let name = try #require(try disk.list(directory).first { $0.hasSuffix(".wal") })
        return (disk, directory, name, try #require(disk.contents(of: directory + "/" + name)))
    }

    @Test func walSegmentDecoder() throws {
        let (_, _, _, bytes) = try Self.segment()
        Self.fuzz([bytes], seed: 5) { input in
            for isLast in [false, true] {
                input.withUnsafeBytes { buffer in
                    var decoder = SegmentDecoder(bytes: buffer, isLastSegment: isLast, carriedCRC: nil)
                    var steps = 0
                    while case .record = decoder.next() {
                        steps += 1
                        precondition(steps <= input.count, "the decoder went around in circles")
                    }
                }
            }
        }
    }

    /// Whole WAL opens over damaged files: a value or a WALError, never a crash.
    @Test func walOpen() throws {
        let (disk, directory, name, bytes) = try Self.segment()
        Self.fuzz([bytes], seed: 6, iterations: 2_000) { input in
            disk.overwrite(directory + "/" + name, with: input)
            if let (wal, _) = try? WAL.open(fs: disk, directory: directory) { try? wal.close() }
            _ = try? WALReader.read(fs: disk, directory: directory, from: nil)
        }
    }

    @Test func snapshotFiles() throws {
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 50, term: 4, confState: ConfState(voters: [1, 2, 3])),
                                data: try Self.storeSnapshot())
        Self.fuzz([SnapshotCodec.encode(snapshot)], seed: 7) { bytes in
            guard case .success(let decoded) = SnapshotCodec.decode(bytes) else { return }
            #expect(SnapshotCodec.decode(SnapshotCodec.encode(decoded)) == .success(decoded))
        }
    }
}
