import Testing
@testable import Raft

/// Config: the values that cannot work are refused, and the random seed makes runs repeatable.
@Suite struct ConfigTests {
    @Test func invalidConfigIsRefused() {
        let cases: [(String, (inout Config) -> Void)] = [
            ("id must not be 0", { $0.id = noNode }),
            ("heartbeatTick must be greater than 0", { $0.heartbeatTick = 0 }),
            ("electionTick must be greater than heartbeatTick", { $0.electionTick = 1 }),
            ("maxInflightMsgs must be greater than 0", { $0.maxInflightMsgs = 0 }),
        ]
        for (why, change) in cases {
            var config = Config(id: 1)
            change(&config)
            #expect(throws: RaftError.invalidConfig(why)) {
                _ = try RawNode(config: config, storage: MemoryStorage(voters: [1]))
            }
        }
    }

    @Test func sameSeedGivesTheSameTimeouts() {
        func timeouts(seed: UInt64) -> [Int] {
            let r = makeRaft(id: 1, peers: [1, 2, 3]) { $0.randomSeed = seed }
            return (0..<20).map { _ in
                r.becomeFollower(term: r.term + 1, lead: noNode)
                return r.randomizedElectionTimeout
            }
        }
        #expect(timeouts(seed: 42) == timeouts(seed: 42))
        #expect(timeouts(seed: 42) != timeouts(seed: 43))
    }

    @Test func defaultSeedsOfNeighbouringMembersAreUnrelated() {
        // Member n + 1's sequence must not be member n's shifted by a draw or two.
        var a = SplitMix64(seed: Config(id: 1).randomSeed)
        var b = SplitMix64(seed: Config(id: 2).randomSeed)
        let first = (0..<64).map { _ in a.next() }
        let second = (0..<64).map { _ in b.next() }
        #expect(Set(first).isDisjoint(with: second))
        #expect(Config(id: 1).randomSeed != Config(id: 2).randomSeed)
        #expect(Config(id: 1).randomSeed == Config(id: 1).randomSeed)
    }
}
