import Testing
@testable import Raft

/// status(): what the TUI shows of each member, and for a leader of each follower.
@Suite struct StatusTests {
    @Test func leaderReportsEveryFollowersProgress() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "a")
        net.isolate(3)
        try net.propose(1, "b")
        try net.propose(1, "c")
        let status = net[1].node.status()
        #expect(status.role == .leader)
        #expect(status.term == 1 && status.vote == 1 && status.lead == 1)
        #expect(status.commit == 4)
        #expect(status.applied == 4)
        #expect(status.lastIndex == 4 && status.firstIndex == 1)
        #expect(status.voters == [1, 2, 3])
        #expect(Set(status.progress.keys) == [1, 2, 3])
        let self1 = try #require(status.progress[1])
        #expect(self1.match == 4 && self1.next == 5)
        let two = try #require(status.progress[2])
        #expect(two.match == 4 && two.next == 5 && two.state == .replicate)
        #expect(two.inflight == 0 && !two.paused && two.recentActive)
        // 3 never answered the last two MsgApps: they are in flight in its window.
        let three = try #require(status.progress[3])
        #expect(three.match == 2 && three.next == 5 && three.state == .replicate)
        #expect(three.inflight == 2)
        #expect(three.inflightBytes == 2)
    }

    @Test func followerReportsNoProgress() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "a")
        let status = net[2].node.status()
        #expect(status.role == .follower)
        #expect(status.lead == 1)
        #expect(status.vote == 1)
        #expect(status.commit == 2)
        #expect(status.applied == 2)
        #expect(status.progress.isEmpty)
    }

    @Test func candidateReportsItsVote() throws {
        let net = Network(ids: [1, 2, 3])
        try net[3].node.campaign()
        let status = net[3].node.status()
        #expect(status.role == .candidate)
        #expect(status.term == 1 && status.vote == 3 && status.lead == noNode)
    }
}
