import Testing
@testable import Raft

/// ReadIndex (§6.4 of the Raft thesis): a linearizable read position, the commit index once a
/// heartbeat round has confirmed that the leader still leads.
@Suite struct ReadIndexTests {
    /// Collects the network's Readys and returns the read states `id` was handed since last asked.
    func readStates(_ net: Network, _ id: NodeID) -> [ReadState] {
        net.collect()
        defer { net[id].readStates = [] }
        return net[id].readStates
    }

    @Test func leaderReadIsConfirmedByAHeartbeatRound() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "x")
        net[1].node.readIndex(context: bytes("r1"))
        #expect(readStates(net, 1).isEmpty)
        let heartbeats = net.take { $0.type == .heartbeat }
        #expect(heartbeats.count == 2)
        #expect(heartbeats.allSatisfy { $0.context == bytes("r1") })
        #expect(net[1].node.status().pendingReadIndex == 1)
        // One follower's answer makes a quorum with the leader.
        net.deliver(heartbeats[0])
        net.collect()
        net.take { $0.type == .heartbeatResp }.forEach(net.deliver)
        #expect(readStates(net, 1) == [ReadState(index: 2, requestContext: bytes("r1"))])
        #expect(net[1].node.status().pendingReadIndex == 0)
    }

    @Test func isolatedLeaderCannotConfirmARead() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.isolate(1)
        net[1].node.readIndex(context: bytes("r"))
        net.stabilize()
        net.tickAndStabilize(1, times: 3)
        #expect(readStates(net, 1).isEmpty)
        #expect(net[1].node.status().pendingReadIndex == 1)
    }

    @Test func oneRoundConfirmsEveryEarlierRead() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net[1].node.readIndex(context: bytes("a"))
        net.collect()
        _ = net.take { $0.type == .heartbeat }
        try net.propose(1, "x")
        net[1].node.readIndex(context: bytes("b"))
        net.stabilize()
        // "a" was asked at commit 1 and is confirmed by "b"'s round; "b" at commit 2.
        #expect(readStates(net, 1) == [
            ReadState(index: 1, requestContext: bytes("a")), ReadState(index: 2, requestContext: bytes("b")),
        ])
        #expect(net[1].node.status().pendingReadIndex == 0)
    }

    @Test func followerReadIsForwardedAndAnswered() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "x")
        net[2].node.readIndex(context: bytes("r2"))
        net.collect()
        let forwarded = net.inFlight.of(.readIndex)
        #expect(forwarded.map(\.to) == [1])
        #expect(forwarded.first?.from == 2)
        net.stabilize()
        #expect(readStates(net, 2) == [ReadState(index: 2, requestContext: bytes("r2"))])
        #expect(readStates(net, 1).isEmpty)
    }

    @Test func followerWithoutLeaderDropsTheRead() {
        let net = Network(ids: [1, 2, 3])
        net[2].node.readIndex(context: bytes("r"))
        net.collect()
        #expect(net.inFlight.isEmpty)
    }

    @Test func newLeaderDefersReadsUntilItCommitsInItsTerm() throws {
        let net = Network(ids: [1, 2, 3])
        try net[1].node.campaign()
        net.collect()
        net.deliverAll()
        net.collect()
        net.deliverAll()
        net.collect()
        #expect(net[1].raft.role == .leader)
        // Its empty entry is held, so nothing of term 1 is committed yet.
        let held = net.take { $0.type == .app }
        net[1].node.readIndex(context: bytes("early"))
        net.collect()
        #expect(net.inFlight.of(.heartbeat).isEmpty)
        #expect(readStates(net, 1).isEmpty)
        held.forEach(net.deliver)
        net.stabilize()
        #expect(readStates(net, 1) == [ReadState(index: 1, requestContext: bytes("early"))])
    }

    @Test func singleMemberAnswersAtOnce() throws {
        let net = Network(ids: [1])
        net.campaign(1)
        try net.propose(1, "x")
        net[1].node.readIndex(context: bytes("r"))
        #expect(readStates(net, 1) == [ReadState(index: 2, requestContext: bytes("r"))])
    }
}
