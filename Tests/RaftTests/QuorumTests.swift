import Testing
@testable import Raft

/// MajorityConfig: the commit index a quorum has reached, and election results, for 1 to 5 voters.
@Suite struct QuorumTests {
    @Test func quorumSize() {
        let sizes = (1...5).map { MajorityConfig(Array(1...UInt64($0))).quorum }
        #expect(sizes == [1, 2, 2, 3, 3])
    }

    @Test(arguments: [
        // (matches of voters 1..n, committed index)
        ([7], 7),
        ([5, 7], 5),
        ([7, 5], 5),
        ([1, 2, 3], 2),
        ([3, 3, 1], 3),
        ([0, 0, 9], 0),
        ([4, 1, 3, 2], 2),
        ([4, 4, 3, 2], 3),
        ([4, 4, 4, 2], 4),
        ([5, 1, 4, 2, 3], 3),
        ([9, 9, 0, 0, 9], 9),
        ([9, 8, 0, 0, 1], 1),
    ] as [([UInt64], UInt64)])
    func committedIndex(matches: [UInt64], want: UInt64) {
        let config = MajorityConfig(Array(1...UInt64(matches.count)))
        #expect(config.committedIndex { matches[Int($0) - 1] } == want)
    }

    @Test func emptyConfigurationCommitsEverything() {
        #expect(MajorityConfig([]).committedIndex { _ in 0 } == .max)
        #expect(MajorityConfig([]).voteResult([:]) == .won)
    }

    @Test(arguments: [
        // (voters, votes: 1 granted, 0 rejected, nil missing; result)
        (1, [nil], VoteResult.pending),
        (1, [true], .won),
        (1, [false], .lost),
        (2, [true, nil], .pending),
        (2, [true, true], .won),
        (2, [true, false], .lost),
        (3, [true, nil, nil], .pending),
        (3, [true, true, nil], .won),
        (3, [true, false, nil], .pending),
        (3, [true, false, false], .lost),
        (4, [true, true, nil, nil], .pending),
        (4, [true, true, true, nil], .won),
        (4, [true, false, false, nil], .lost),
        (5, [true, true, nil, nil, nil], .pending),
        (5, [true, true, true, false, false], .won),
        (5, [true, true, false, false, nil], .pending),
        (5, [true, false, false, false, nil], .lost),
    ] as [(Int, [Bool?], VoteResult)])
    func voteResult(voters: Int, votes: [Bool?], want: VoteResult) {
        let config = MajorityConfig(Array(1...UInt64(voters)))
        var answers: [NodeID: Bool] = [:]
        for (i, vote) in votes.enumerated() {
            if let vote { answers[NodeID(i + 1)] = vote }
        }
        #expect(config.voteResult(answers) == want)
    }

    @Test func votesFromNonVotersDoNotCount() {
        let config = MajorityConfig([1, 2, 3])
        #expect(config.voteResult([1: true, 7: true, 8: true]) == .pending)
    }

    @Test func insertAndRemoveKeepVotersSortedAndUnique() {
        var config = MajorityConfig([3, 1, 3])
        #expect(config.voters == [1, 3])
        config.insert(2)
        config.insert(2)
        #expect(config.voters == [1, 2, 3])
        config.remove(1)
        #expect(config.voters == [2, 3])
        #expect(!config.contains(1))
    }
}
