import Testing
@testable import Raft

/// Log replication: the consistency check and its rejection hint, conflict truncation, and the
/// flow control of the probe and replicate states (inflight window, message size).
@Suite struct ReplicationTests {
    /// Runs MsgApps from `leader` to `follower` and the answers back until they are quiet;
    /// returns every message the leader sent the follower.
    func exchange(leader: Raft, follower: Raft) throws -> [Message] {
        var sent: [Message] = []
        var toFollower = leader.takeMessages().filter { $0.to == follower.id }
        while !toFollower.isEmpty {
            sent += toFollower
            for m in toFollower { try follower.step(m) }
            for m in follower.takeMessages() { try leader.step(m) }
            toFollower = leader.takeMessages().filter { $0.to == follower.id }
        }
        return sent
    }

    /// A leader of term 5 whose log is 1 1 1 4 4 4 4, then its empty entry at index 8.
    func figureLeader() -> Raft {
        let storage = makeStorage(voters: [1, 2, 3], terms: [1, 1, 1, 4, 4, 4, 4])
        storage.setHardState(HardState(term: 4, commit: 3))
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        r.electByHand()
        r.persist(into: storage)
        r.broadcastAppend()
        return r
    }

    func follower(terms: [UInt64]) -> Raft {
        let storage = makeStorage(voters: [1, 2, 3], terms: terms)
        storage.setHardState(HardState(term: terms.last ?? 0, commit: min(3, UInt64(terms.count))))
        return makeRaft(id: 2, peers: [1, 2, 3], storage: storage)
    }

    @Test func rejectionHintSkipsAWholeTermAtATime() throws {
        let leader = figureLeader()
        // Five entries of terms 2 and 3 that the leader never had, and more.
        let f = follower(terms: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3])
        let sent = try exchange(leader: leader, follower: f).filter { !$0.entries.isEmpty }
        // One probe at the leader's end (index 7, term 4), then straight to index 3, term 1:
        // the follower's hint says it has nothing of term 4, so the leader skips all of term 4.
        #expect(sent.map(\.index) == [7, 3])
        #expect(sent.map(\.logTerm) == [4, 1])
        #expect(f.allEntries.terms == [1, 1, 1, 4, 4, 4, 4, 5])
        #expect(f.log.committed == 8)
    }

    @Test func rejectionHintFromAShorterLog() throws {
        let leader = figureLeader()
        let f = follower(terms: [1, 1, 1])
        let sent = try exchange(leader: leader, follower: f).filter { !$0.entries.isEmpty }
        #expect(sent.map(\.index) == [7, 3])
        #expect(f.allEntries.terms == [1, 1, 1, 4, 4, 4, 4, 5])
    }

    @Test func rejectedProbeAnswerCarriesTheHint() throws {
        let f = follower(terms: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3])
        try f.step(Message(type: .app, to: 2, from: 1, term: 5, logTerm: 4, index: 7))
        let answer = try #require(f.takeMessages().first)
        #expect(answer.reject)
        #expect(answer.index == 7)
        // The newest entry at or before 7 whose term is at most 4: index 7 itself, of term 3.
        #expect(answer.rejectHint == 7 && answer.logTerm == 3)
    }

    @Test func conflictingUncommittedSuffixIsTruncatedInStorage() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        // 1 appends two entries only it has, then loses leadership.
        net.isolate(1)
        try net.propose(1, "lost a")
        try net.propose(1, "lost b")
        net.campaign(2)
        try net.propose(2, "kept")
        net.recover()
        net.tickAndStabilize(2)
        #expect(net[1].raft.lead == 2)
        #expect(net.storedEntries(1) == net.storedEntries(2))
        #expect(net.storedEntries(1).map(\.data).contains(bytes("kept")))
        #expect(!net.storedEntries(1).map(\.data).contains(bytes("lost a")))
    }

    @Test func followerStartsInProbeAndMovesToReplicate() throws {
        let net = Network(ids: [1, 2, 3])
        try net[1].node.campaign()
        net.collect()
        net.deliverAll()
        net.collect()
        net.deliverAll()
        net.collect()
        // 1 just won: it knows nothing of the followers' logs yet.
        #expect(net[1].node.status().progress[2]?.state == .probe)
        net.stabilize()
        #expect(net[1].node.status().progress[2]?.state == .replicate)
        #expect(net[1].node.status().progress[2]?.match == 1)
    }

    @Test func probeSendsOneMsgAppAtATime() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net[1].node.reportUnreachable(2)
        #expect(net[1].node.status().progress[2]?.state == .probe)
        for text in ["a", "b", "c"] { try net[1].node.propose(bytes(text)) }
        net.collect()
        let toTwo = net.inFlight.filter { $0.to == 2 && $0.type == .app }
        let toThree = net.inFlight.filter { $0.to == 3 && $0.type == .app }
        #expect(toTwo.count == 1)
        #expect(toThree.count == 3)
        #expect(net[1].node.status().progress[2]?.paused == true)
        net.stabilize()
        #expect(net[1].node.status().progress[2]?.state == .replicate)
        #expect(net[2].raft.log.lastIndex == 4)
    }

    @Test func replicatePipelinesWithinMaxInflightMsgs() throws {
        let net = Network(ids: [1, 2, 3]) { $0.maxInflightMsgs = 2 }
        net.campaign(1)
        for text in ["a", "b", "c", "d"] { try net[1].node.propose(bytes(text)) }
        net.collect()
        let held = net.take { $0.to == 2 && $0.type == .app }
        #expect(held.map(\.entries.count) == [1, 1])
        let pr = try #require(net[1].node.status().progress[2])
        #expect(pr.state == .replicate)
        #expect(pr.inflight == 2)
        #expect(pr.paused)
        #expect(pr.next == 4)
        // The answer to the first frees one slot: exactly one more MsgApp goes out, with all
        // that is left.
        net.deliver(held[0])
        net.collect()
        let answers = net.take { $0.to == 1 && $0.from == 2 }
        answers.forEach(net.deliver)
        net.collect()
        let next = net.take { $0.to == 2 && $0.type == .app }
        #expect(next.count == 1)
        #expect(next.first?.entries.map(\.data) == [bytes("c"), bytes("d")])
        net.deliver(held[1])
        next.forEach(net.deliver)
        net.stabilize()
        #expect(net[2].raft.log.lastIndex == 5)
        #expect(net[1].node.status().progress[2]?.inflight == 0)
    }

    @Test func maxSizePerMsgBatches() throws {
        let entryBytes = UInt64(Entry(data: [0]).sizeBytes)
        let net = Network(ids: [1, 2]) { $0.maxSizePerMsg = 2 * entryBytes }
        net.campaign(1)
        try net[1].node.propose(batch: (1...5).map { [UInt8($0)] })
        var sent: [Message] = []
        net.collect()
        while !net.inFlight.isEmpty {
            let batch = net.take { _ in true }
            sent += batch.filter { $0.type == .app && !$0.entries.isEmpty }
            batch.forEach(net.deliver)
            net.collect()
        }
        #expect(sent.map(\.entries.count) == [2, 2, 1])
        #expect(sent.flatMap(\.entries).map(\.data) == (1...5).map { [UInt8($0)] })
        #expect(net[2].raft.log.committed == 6)
    }

    @Test func oversizedEntryStillGoesAlone() throws {
        let net = Network(ids: [1, 2]) { $0.maxSizePerMsg = 1 }
        net.campaign(1)
        try net[1].node.propose(batch: [[UInt8](repeating: 7, count: 100), [8]])
        net.collect()
        let apps = net.take { $0.type == .app }
        #expect(apps.map(\.entries.count) == [1])
    }

    @Test func lostMsgAppInProbeIsResentAfterAHeartbeat() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net[1].node.reportUnreachable(2)
        try net[1].node.propose(bytes("x"))
        net.collect()
        #expect(net.take { $0.to == 2 && $0.type == .app }.count == 1)
        net.stabilize()
        #expect(net[2].raft.log.lastIndex == 1)
        net.tickAndStabilize(1)
        #expect(net[2].raft.log.lastIndex == 2)
    }

    @Test func fullWindowOfLostMsgAppsDoesNotStallTheFollower() throws {
        let net = Network(ids: [1, 2, 3]) { $0.maxInflightMsgs = 1 }
        net.campaign(1)
        try net[1].node.propose(bytes("a"))
        try net[1].node.propose(bytes("b"))
        net.collect()
        // The one MsgApp the window allows is lost.
        #expect(net.take { $0.to == 2 && $0.type == .app }.count == 1)
        net.stabilize()
        #expect(net[1].node.status().progress[2]?.inflight == 1)
        #expect(net[2].raft.log.lastIndex == 1)
        // A heartbeat's answer lets an empty MsgApp through; its rejection resets the window.
        net.tickAndStabilize(1)
        #expect(net[2].raft.log.lastIndex == 3)
        #expect(net[2].raft.log.committed == 3)
        #expect(net[1].node.status().progress[2]?.state == .replicate)
    }

    @Test func reportUnreachableMovesReplicateToProbe() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "x")
        net[1].node.reportUnreachable(2)
        let pr = try #require(net[1].node.status().progress[2])
        #expect(pr.state == .probe)
        #expect(pr.next == pr.match + 1)
        #expect(pr.inflight == 0)
    }
}
