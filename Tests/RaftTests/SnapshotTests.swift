import Testing
@testable import Raft

/// Log compaction and snapshots: a follower behind the leader's first index is sent MsgSnap,
/// restores from it, and its progress goes snapshot -> probe -> replicate.
@Suite struct SnapshotTests {
    /// 3 misses entries 2...6 while cut off; the leader then snapshots at 6 and compacts.
    func clusterWithCompactedLeader() throws -> Network {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.isolate(3)
        for i in 0..<5 { try net.propose(1, "e\(i)") }
        net.compact(1, upTo: 6)
        net.recover()
        return net
    }

    /// Delivers messages until one matching `predicate` is in flight, and takes it.
    func deliverUntil(_ net: Network, _ predicate: (Message) -> Bool) -> Message? {
        net.collect()
        while !net.inFlight.isEmpty {
            if let found = net.take(where: predicate).first { return found }
            net.deliverAll()
            net.collect()
        }
        return nil
    }

    @Test func leaderSendsSnapshotToAFollowerBehindItsFirstIndex() throws {
        let net = try clusterWithCompactedLeader()
        #expect(net[1].raft.log.firstIndex == 7)
        net.tick(1)
        let snap = try #require(deliverUntil(net) { $0.type == .snap })
        #expect(snap.to == 3)
        #expect(snap.snapshot?.metadata.index == 6)
        #expect(snap.snapshot?.metadata.confState.voters == [1, 2, 3])
        var pr = try #require(net[1].node.status().progress[3])
        #expect(pr.state == .snapshot)
        #expect(pr.pendingSnapshot == 6)

        net.deliver(snap)
        net.collect()
        // 3 restored and persisted the snapshot.
        #expect(net[3].storage.firstIndex() == 7)
        #expect(try net[3].storage.snapshot().data == bytes("snap@6"))
        #expect(net[3].raft.log.committed == 6)
        #expect(net[3].node.basicStatus.applied == 6)
        let answer = try #require(net.take { $0.from == 3 && $0.type == .appResp }.first)
        #expect(answer.index == 6 && !answer.reject)

        // The transport reports the snapshot sent: the leader probes from after it.
        net[1].node.reportSnapshot(3, status: .finished)
        pr = try #require(net[1].node.status().progress[3])
        #expect(pr.state == .probe)
        #expect(pr.next == 7)
        net.deliver(answer)
        net.collect()
        pr = try #require(net[1].node.status().progress[3])
        #expect(pr.state == .replicate)
        #expect(pr.match == 6)

        net.stabilize()
        try net.propose(1, "after the snapshot")
        #expect(net[3].applied.map(\.data) == [bytes("after the snapshot")])
        #expect(net.storedEntries(3) == net.storedEntries(1))
    }

    @Test func answerToTheSnapshotAloneReturnsToReplicate() throws {
        let net = try clusterWithCompactedLeader()
        net.tickAndStabilize(1)
        let pr = try #require(net[1].node.status().progress[3])
        #expect(pr.state == .replicate)
        #expect(pr.match == 7 - 1)
        #expect(net[3].raft.log.committed == 6)
    }

    @Test func failedSnapshotIsRetriedAfterAHeartbeat() throws {
        let net = try clusterWithCompactedLeader()
        net.tick(1)
        let lost = try #require(deliverUntil(net) { $0.type == .snap })
        #expect(lost.to == 3)
        net.stabilize()
        net[1].node.reportSnapshot(3, status: .failure)
        let pr = try #require(net[1].node.status().progress[3])
        #expect(pr.state == .probe)
        #expect(pr.next == pr.match + 1)
        #expect(pr.paused)
        net.tick(1)
        let retried = try #require(deliverUntil(net) { $0.type == .snap })
        #expect(retried.to == 3)
        net.deliver(retried)
        net.stabilize()
        #expect(net[3].raft.log.committed == 6)
    }

    @Test func followerRestoresFromASnapshot() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        let node = try RawNode(config: Config(id: 2), storage: storage)
        let snap = Snapshot(metadata: SnapshotMetadata(index: 11, term: 11, confState: ConfState(voters: [1, 2])), data: [42])
        try node.step(Message(type: .snap, to: 2, from: 1, term: 11, snapshot: snap))
        #expect(node.raft.log.committed == 11)
        #expect(node.raft.log.firstIndex == 12)
        #expect(node.raft.log.lastTerm == 11)
        #expect(node.confState.voters == [1, 2])
        let rd = node.ready()
        #expect(rd.snapshot == snap)
        #expect(rd.committedEntries.isEmpty)
        #expect(rd.messages == [Message(type: .appResp, to: 1, from: 2, term: 11, index: 11)])
        try storage.applySnapshot(try #require(rd.snapshot))
        node.advance(rd)
        #expect(node.basicStatus.applied == 11)
        #expect(!node.hasReady)
    }

    @Test func snapshotAtOrBelowTheCommitIndexIsIgnored() throws {
        let storage = makeStorage(voters: [1, 2], terms: [1, 1, 1])
        storage.setHardState(HardState(term: 1, commit: 3))
        let r = makeRaft(id: 2, peers: [1, 2], storage: storage)
        let snap = Snapshot(metadata: SnapshotMetadata(index: 2, term: 1, confState: ConfState(voters: [1, 2])))
        try r.step(Message(type: .snap, to: 2, from: 1, term: 1, snapshot: snap))
        #expect(r.log.firstIndex == 1)
        #expect(r.log.lastIndex == 3)
        #expect(!r.log.hasPendingSnapshot)
        #expect(r.takeMessages() == [Message(type: .appResp, to: 1, from: 2, term: 1, index: 3)])
    }

    @Test func snapshotOfAnEntryWeHoldOnlyAdvancesTheCommitIndex() throws {
        let r = makeRaft(id: 2, peers: [1, 2], storage: makeStorage(voters: [1, 2], terms: [1, 1, 1, 1, 1]))
        let snap = Snapshot(metadata: SnapshotMetadata(index: 3, term: 1, confState: ConfState(voters: [1, 2])))
        try r.step(Message(type: .snap, to: 2, from: 1, term: 1, snapshot: snap))
        #expect(r.log.committed == 3)
        #expect(r.log.lastIndex == 5)
        #expect(!r.log.hasPendingSnapshot)
    }

    @Test func snapshotWithoutThisMemberIsIgnored() throws {
        let r = makeRaft(id: 2, peers: [1, 2])
        let snap = Snapshot(metadata: SnapshotMetadata(index: 5, term: 1, confState: ConfState(voters: [1, 3])))
        try r.step(Message(type: .snap, to: 2, from: 1, term: 1, snapshot: snap))
        #expect(r.log.committed == 0)
        #expect(!r.log.hasPendingSnapshot)
    }

    @Test func memberRestartsFromACompactedStorage() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        for i in 0..<4 { try net.propose(1, "e\(i)") }
        net.compact(2, upTo: 4)
        net.restart(2)
        #expect(net[2].raft.log.firstIndex == 5)
        #expect(net[2].raft.log.committed == 5)
        net.stabilize()
        #expect(net[2].applied.map(\.index) == [5])
        try net.propose(1, "after restart")
        #expect(net[2].applied.last?.data == bytes("after restart"))
    }
}
