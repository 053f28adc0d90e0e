import ByteCoding
import MVCC
import Raft
import Testing
@testable import Server

/// The space quota, the NOSPACE alarm and the other Maintenance operations on members stepped by hand.
@Suite struct AlarmTests {
    /// Proposes `operation` at `member`, settles the group, and returns the answer.
    func run(_ group: MemberGroup, _ member: NodeID, _ operation: InternalRequest.Operation) throws -> Result<Response, ServerError> {
        let outcome = Outcome()
        group[member].propose(operation, completion: outcome.completion)
        try group.settle()
        return try #require(outcome.result)
    }

    func put(_ i: Int) -> InternalRequest.Operation {
        .put(PutRequest(key: bytes("k\(i % 5)"), value: Array(repeating: 0x61, count: 200)))
    }

    @Test func pastTheQuotaPutsAreRefusedAndEveryMemberHoldsTheAlarmUntilDisarmed() throws {
        let group = try MemberGroup { $0.spaceQuota = SpaceQuota(bytes: 4_000) }
        let lead = try group.electLeader()
        var refusedAt: Int?
        for i in 0..<100 {
            if case .failure(let error) = try run(group, lead, put(i)) {
                #expect(error == .noSpace)
                #expect(error.description == "etcdserver: mvcc: database space exceeded")
                refusedAt = i
                break
            }
        }
        let refused = try #require(refusedAt, "a 4,000-byte quota holds fewer than 100 puts of 200 bytes")
        #expect(refused > 5)
        try group.settle()
        for id in group.ids {
            #expect(group[id].alarms == [AlarmMember(memberID: lead, alarm: .noSpace)], "member \(id)")
            #expect(group[id].status().alarms == group[id].alarms)
        }
        // Capped: a put is refused, a delete (no data added) still applies.
        #expect(try run(group, lead, put(0)) == .failure(.noSpace))
        #expect(throws: Never.self) { try run(group, lead, .deleteRange(DeleteRangeRequest(range: KeyRange(key: bytes("k4"))))).get() }
        // Disarming while the store is still as large only raises the alarm again on the next put.
        _ = try run(group, lead, .alarm(AlarmOperation(action: .deactivate, memberID: lead, alarm: .noSpace))).get()
        #expect(group[lead].alarms.isEmpty)
        #expect(try run(group, lead, put(1)) == .failure(.noSpace))
        try group.settle()
        #expect(group[lead].alarms.count == 1)
        // Compact, defragment every member, disarm: puts fit again.
        let revision = group[lead].status().storeRevision
        _ = try run(group, lead, .compact(revision: revision)).get()
        for id in group.ids { group[id].defragment() }
        #expect(group[lead].storeSize.allocatedBytes == group[lead].storeSize.inUseBytes)
        let disarmed = try run(group, lead, .alarm(AlarmOperation(action: .deactivate, memberID: lead, alarm: .noSpace))).get()
        #expect(disarmed.outcome == .alarm([AlarmMember(memberID: lead, alarm: .noSpace)]))
        #expect(throws: Never.self) { try run(group, lead, put(2)).get() }
        for id in group.ids { #expect(group[id].alarms.isEmpty, "member \(id)") }
    }

    @Test func theQuotaCheckRefusesBeforeProposing() throws {
        let group = try MemberGroup { $0.spaceQuota = SpaceQuota(bytes: 300) }
        let lead = try group.electLeader()
        let applied = group[lead].status().appliedIndex
        let outcome = Outcome()
        // 256 bytes of etcd's overhead, the key and the value: past 300 with nothing stored yet.
        group[lead].put(PutRequest(key: bytes("k"), value: Array(repeating: 1, count: 50)), completion: outcome.completion)
        #expect(outcome.result == .failure(.noSpace), "refused at once, before anything was proposed")
        #expect(group[lead].status().metrics.proposalsFailed == 1)
        try group.settle()
        // The alarm was proposed instead, and is the only entry applied since.
        #expect(group[lead].status().appliedIndex == applied + 1)
        #expect(group[lead].alarms == [AlarmMember(memberID: lead, alarm: .noSpace)])
        #expect(try group[lead].localRange(RangeRequest(range: KeyRange(key: bytes("k")))).kvs.isEmpty)
        // A transaction that only reads costs nothing and passes.
        let read = TxnRequest(success: [.range(RangeRequest(range: KeyRange(key: bytes("k"))))])
        #expect(throws: Never.self) { try run(group, lead, .txn(read)).get() }
        let write = TxnRequest(success: [.put(PutRequest(key: bytes("k"), value: []))])
        #expect(try run(group, lead, .txn(write)) == .failure(.noSpace))
        // A lease grant costs 64 bytes, which fit: the capped apply refuses it, as etcd's does.
        #expect(try run(group, lead, .leaseGrant(id: 7, ttlSeconds: 60)) == .failure(.noSpace))
        #expect(try run(group, lead, .leaseRevoke(id: 7)) == .failure(.lease(.notFound)), "nothing was granted")
    }

    @Test func alarmsSurviveSnapshotsAndRestarts() throws {
        let group = try MemberGroup { $0.snapshotCount = 5; $0.snapshotCatchUpEntries = 1 }
        let lead = try group.electLeader()
        _ = try run(group, lead, .alarm(AlarmOperation(action: .activate, memberID: 2, alarm: .noSpace))).get()
        _ = try run(group, lead, .alarm(AlarmOperation(action: .activate, memberID: 3, alarm: .corrupt))).get()
        for i in 0..<12 { _ = try run(group, lead, .deleteRange(DeleteRangeRequest(range: KeyRange(key: bytes("d\(i)"))))) }
        #expect(group[lead].status().metrics.snapshotsTaken >= 1)
        let expected = [AlarmMember(memberID: 2, alarm: .noSpace), AlarmMember(memberID: 3, alarm: .corrupt)]
        for id in group.ids { try group.restart(id) }
        _ = try group.electLeader()
        for id in group.ids {
            #expect(group[id].status().snapshotIndex > 0, "member \(id) restarted from a snapshot")
            #expect(group[id].alarms == expected, "member \(id)")
        }
        let listed = try run(group, group.leader!, .alarm(AlarmOperation(action: .get)))
        #expect(try listed.get().outcome == .alarm(expected))
        #expect(try run(group, group.leader!, put(0)) == .failure(.noSpace), "still capped after the restart")
    }

    @Test func appliedSnapshotsCarryAlarmsAndOldOnesStillDecode() throws {
        var alarms = AlarmSet()
        _ = alarms.apply(AlarmOperation(action: .activate, memberID: 7, alarm: .noSpace))
        let store = MVCCStore().snapshotData()
        let snapshot = AppliedSnapshot(store: store, auth: AuthState(), leases: LeaseTable(), alarms: alarms)
        let decoded = try AppliedSnapshot(decoding: snapshot.encoded())
        #expect(decoded.alarms == alarms)
        #expect(decoded.store == store)
        // A snapshot written before alarms existed: "RTS2", the store, the auth state, the leases.
        var old = ByteWriter()
        old.bytes(Array("RTS2".utf8))
        old.lengthPrefixed(store)
        old.lengthPrefixed(AuthState().snapshotData())
        old.lengthPrefixed(LeaseTable().snapshotData())
        #expect(try AppliedSnapshot(decoding: old.buffer).alarms == AlarmSet())
        // And one from before leases: "RTS1", the store, the auth state.
        var older = ByteWriter()
        older.bytes(Array("RTS1".utf8))
        older.lengthPrefixed(store)
        older.lengthPrefixed(AuthState().snapshotData())
        #expect(try AppliedSnapshot(decoding: older.buffer).alarms == AlarmSet())
        // Every truncation of the new layout is an error, never a crash.
        let bytes = snapshot.encoded()
        for cut in 0..<bytes.count {
            #expect(throws: ServerError.self) { try AppliedSnapshot(decoding: Array(bytes[..<cut])) }
        }
    }

    @Test func alarmRequestsRoundTripThroughTheLog() throws {
        for action in [AlarmOperation.Action.get, .activate, .deactivate] {
            let request = InternalRequest(id: 42, operation: .alarm(AlarmOperation(action: action, memberID: 0xabcdef, alarm: .noSpace)))
            #expect(try InternalRequest(decoding: request.encoded()) == request)
        }
        var bad = InternalRequest(id: 1, operation: .alarm(AlarmOperation(action: .get))).encoded()
        bad[bad.count - 1] = 9
        #expect(throws: DecodingError.self) { try InternalRequest(decoding: bad) }
    }

    @Test func hashesAgreeOnEveryMemberAndDifferWhenAStoreDoes() throws {
        let group = try MemberGroup { $0.snapshotCount = 7; $0.snapshotCatchUpEntries = 1 }
        let lead = try group.electLeader()
        for i in 0..<20 { _ = try run(group, lead, put(i)) }
        _ = try run(group, lead, .deleteRange(DeleteRangeRequest(range: KeyRange(key: bytes("k3")))))
        _ = try run(group, lead, .compact(revision: 15))
        _ = try run(group, lead, put(21))
        let follower = group.ids.first { $0 != lead }!
        try group.restart(follower)
        try group.settle()
        let expected = try group[lead].hashKV(revision: 0)
        #expect(expected.compactRevision == 15)
        for id in group.ids {
            #expect(try group[id].hashKV(revision: 0) == expected, "member \(id)")
            #expect(try group[id].hashKV(revision: 18) == group[lead].hashKV(revision: 18), "member \(id) at 18")
            #expect(try group[id].hash() == group[lead].hash(), "member \(id)")
        }
        // A store changed behind Raft's back (as a corrupt disk would) no longer agrees.
        let odd = group.ids.first { $0 != lead && $0 != follower }!
        _ = group[odd].applier.withLock { try? $0.store.put(PutRequest(key: bytes("k1"), value: bytes("tampered"))) }
        #expect(try group[odd].hashKV(revision: 0).hash != expected.hash)
        #expect(try group[odd].hash().hash != group[lead].hash().hash)
    }

    @Test func aMemberRunsAFewWholeStateReadsAtOnceAndRefusesMore() throws {
        let group = try MemberGroup()
        let member = group[1]
        var holds = try (0..<Member.wholeStateReadsMax).map { _ in try member.holdWholeStateRead() }
        #expect(throws: ServerError.wholeStateReadsBusy(limit: Member.wholeStateReadsMax)) { try member.hashKV(revision: 0) }
        #expect(throws: ServerError.wholeStateReadsBusy(limit: Member.wholeStateReadsMax)) { try member.hash() }
        holds.removeLast()
        #expect(throws: Never.self) { try member.hashKV(revision: 0) }
        #expect(!member.appliedState(holding: holds[0]).isEmpty)
        holds.removeAll()
        #expect(member.wholeStateReads.load(ordering: .relaxed) == 0)
    }
}
