import ByteCoding
import MVCC
import Raft
import Testing
@testable import Server

/// The member list as applied state: etcd's checks when a change is applied, its place in the
/// Raft snapshot, and bounded decoding of what a conf change or a snapshot carries.
@Suite struct MembershipStateTests {
    static let three: Membership = {
        var m = Membership()
        for id: NodeID in 1...3 {
            let info = MemberInfo(id: id, name: "member-\(id)", peerURLs: ["http://127.0.0.1:\(22379 + id)"])
            m.apply(ConfChange(kind: .addNode, nodeID: id), context: ConfChangeContext(requestID: 0, member: info))
        }
        return m
    }()

    func change(_ kind: ConfChange.Kind, _ id: NodeID, peerURLs: [String] = [], promote: Bool = false) -> (ConfChange, ConfChangeContext) {
        let context = ConfChangeContext(requestID: 9, isPromote: promote, member: MemberInfo(id: id, peerURLs: peerURLs))
        return (ConfChange(kind: kind, nodeID: id, context: context.encoded()), context)
    }

    @Test func etcdsValidationOfEachKindOfChange() throws {
        var m = Self.three
        let (dup, dupContext) = change(.addNode, 2, peerURLs: ["http://x:1"])
        #expect(throws: MembershipError.memberExists) { try m.validate(dup, context: dupContext) }
        let (taken, takenContext) = change(.addLearnerNode, 4, peerURLs: ["http://127.0.0.1:22380"])
        #expect(throws: MembershipError.peerURLExists) { try m.validate(taken, context: takenContext) }
        let (learner, learnerContext) = change(.addLearnerNode, 4, peerURLs: ["http://x:4"])
        try m.validate(learner, context: learnerContext)
        m.apply(learner, context: learnerContext)
        #expect(m.members[4]?.isLearner == true)
        let (second, secondContext) = change(.addLearnerNode, 5, peerURLs: ["http://x:5"])
        #expect(throws: MembershipError.tooManyLearners) { try m.validate(second, context: secondContext) }
        let (promoteVoter, promoteVoterContext) = change(.addNode, 2, promote: true)
        #expect(throws: MembershipError.memberNotLearner) { try m.validate(promoteVoter, context: promoteVoterContext) }
        let (promote, promoteContext) = change(.addNode, 4, promote: true)
        try m.validate(promote, context: promoteContext)
        m.apply(promote, context: promoteContext)
        #expect(m.members[4]?.isLearner == false)
        #expect(m.members[4]?.peerURLs == ["http://x:4"])
        let (remove, removeContext) = change(.removeNode, 3)
        try m.validate(remove, context: removeContext)
        m.apply(remove, context: removeContext)
        #expect(m.removed == [3])
        // A removed id is gone for good: etcd answers "member not found" for it.
        #expect(throws: MembershipError.memberNotFound) { try m.validate(remove, context: removeContext) }
        let (readd, readdContext) = change(.addNode, 3, peerURLs: ["http://y:3"])
        #expect(throws: MembershipError.memberNotFound) { try m.validate(readd, context: readdContext) }
        let (update, updateContext) = change(.updateNode, 1, peerURLs: ["http://127.0.0.1:22381"])
        #expect(throws: MembershipError.peerURLExists) { try m.validate(update, context: updateContext) }
        let (moved, movedContext) = change(.updateNode, 1, peerURLs: ["http://z:1"])
        try m.validate(moved, context: movedContext)
        m.apply(moved, context: movedContext)
        #expect(m.members[1]?.peerURLs == ["http://z:1"])
        #expect(m.members[1]?.name == "member-1")
    }

    @Test func etcdsStrictReconfigurationCheckCountsStartedVoters() {
        var m = Self.three
        #expect(m.isReadyToAddVoter)
        #expect(m.isReadyToRemoveVoter(1))
        // Two voters that never started (no name): adding a third unstarted one would leave
        // fewer started voters than a quorum.
        for id: NodeID in 4...5 {
            m.apply(ConfChange(kind: .addNode, nodeID: id), context: ConfChangeContext(requestID: 0, member: MemberInfo(id: id)))
        }
        #expect(!m.isReadyToAddVoter)
        #expect(!m.isReadyToRemoveVoter(1))
        #expect(m.isReadyToPromote)
    }

    @Test func theMembershipRidesInTheSnapshotAndAnOlderSnapshotStillLoads() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: Array("k".utf8), value: Array("v".utf8)))
        var m = Self.three
        let (remove, removeContext) = change(.removeNode, 2)
        m.apply(remove, context: removeContext)
        let current = try AppliedSnapshot(decoding: AppliedSnapshot(store: store.snapshotData(), auth: AuthState(), membership: m).encoded())
        #expect(current.membership == m)
        #expect(current.store == store.snapshotData())
        // "RTS1": store and auth, no membership.
        var old = ByteWriter()
        old.bytes(AppliedSnapshot.withoutLeasesMagic)
        old.lengthPrefixed(store.snapshotData())
        old.lengthPrefixed(AuthState().snapshotData())
        let loaded = try AppliedSnapshot(decoding: old.buffer)
        #expect(loaded.membership == Membership())
        #expect(loaded.store == store.snapshotData())
    }

    @Test func hostileBytesAreErrorsNeverCrashesOrHugeAllocations() {
        var tooMany = ByteWriter()
        tooMany.uint64(UInt64(Membership.maxMembers) + 1)
        #expect(throws: DecodingError.self) { try Membership(decoding: tooMany.buffer) }
        var hugeRemoved = ByteWriter()
        hugeRemoved.uint64(0)
        hugeRemoved.uint64(.max)
        #expect(throws: DecodingError.self) { try Membership(decoding: hugeRemoved.buffer) }
        var longURL = ByteWriter()
        longURL.uint8(1)
        longURL.uint64(7)
        longURL.bool(false)
        longURL.uint64(4)
        longURL.lengthPrefixed([])
        longURL.uint64(1)
        longURL.lengthPrefixed(Array(repeating: UInt8(ascii: "a"), count: MemberInfo.maxURLBytes + 1))
        #expect(throws: DecodingError.self) { try ConfChangeContext(decoding: longURL.buffer) }
        var random = SplitMix64(seed: 11)
        let valid = ConfChangeContext(requestID: 1, member: MemberInfo(id: 2, name: "n", peerURLs: ["http://a:1"])).encoded()
        for _ in 0..<2000 {
            var bytes = valid
            let i = Int(random.next() % UInt64(bytes.count))
            bytes[i] = UInt8(truncatingIfNeeded: random.next())
            _ = try? ConfChangeContext(decoding: Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1)))))
            _ = try? Membership(decoding: bytes)
        }
        #expect(MemberInfo.boundsProblem(name: "", peerURLs: Array(repeating: "http://a:1", count: MemberInfo.maxURLs + 1)) != nil)
    }
}
