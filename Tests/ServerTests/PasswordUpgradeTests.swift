import MVCC
import Raft
import Testing
@testable import Server

/// A password hash weaker than the members' configured one is replaced on the next successful
/// login, through the log, so every member holds the same stronger hash.
@Suite struct PasswordUpgradeTests {
    static let configuredRounds = 2 * MemberGroup.passwordHashRounds

    /// root (root role) and alice, whose hash has half the configured rounds, auth on.
    static func group() throws -> (MemberGroup, NodeID, weak: PasswordHash) {
        let group = try MemberGroup { $0.passwordHashRounds = Self.configuredRounds }
        let lead = try group.electLeader()
        let weak = PasswordHash(hashing: "alice-pw", rounds: MemberGroup.passwordHashRounds)
        let steps: [(Outcome) -> Void] = [
            { group[lead].addUser("root", password: "root-pw", credentials: .none, completion: $0.completion) },
            { group[lead].proposeAuth(.userGrantRole(user: "root", role: "root"), credentials: .none, completion: $0.completion) },
            { group[lead].proposeAuth(.userAdd(name: "alice", password: weak), credentials: .none, completion: $0.completion) },
            { group[lead].proposeAuth(.enable, credentials: .none, completion: $0.completion) },
        ]
        for step in steps { _ = try AuthPutPathTests.run(group, step).get() }
        return (group, lead, weak)
    }

    @Test func aLoginOnAFollowerUpgradesTheHashOnEveryMember() throws {
        let (group, lead, weak) = try Self.group()
        let follower = try #require(group.ids.first { $0 != lead })
        let revision = group[lead].authState.revision
        for id in group.ids { #expect(group[id].authState.users["alice"]?.password == weak, "member \(id) before the login") }

        _ = try group[follower].authenticate(username: "alice", password: "alice-pw")
        try group.settle()

        let upgraded = try #require(group[lead].authState.users["alice"]?.password)
        #expect(upgraded.rounds == UInt32(Self.configuredRounds))
        #expect(upgraded.salt != weak.salt, "hashed again with a fresh salt")
        #expect(upgraded.matches("alice-pw"))
        for id in group.ids {
            #expect(group[id].authState.users["alice"]?.password == upgraded, "member \(id) holds the upgraded hash")
            #expect(group[id].authState.revision == revision, "member \(id): the auth revision stays")
        }
        // root was hashed at the configured strength: its login proposes nothing.
        let applied = group[lead].appliedIndex.load(ordering: .relaxed)
        _ = try group[lead].authenticate(username: "root", password: "root-pw")
        _ = try group[lead].authenticate(username: "alice", password: "alice-pw")
        try group.settle()
        #expect(group[lead].appliedIndex.load(ordering: .relaxed) == applied, "a hash at the configured strength is not proposed again")
    }

    @Test func aWrongPasswordUpgradesNothing() throws {
        let (group, lead, weak) = try Self.group()
        #expect(throws: AuthError.authFailed) { try group[lead].authenticate(username: "alice", password: "guess") }
        try group.settle()
        for id in group.ids { #expect(group[id].authState.users["alice"]?.password == weak, "member \(id)") }
    }

    @Test func theUpgradedHashSurvivesARestartFromTheLog() throws {
        let (group, lead, _) = try Self.group()
        _ = try group[lead].authenticate(username: "alice", password: "alice-pw")
        try group.settle()
        let upgraded = try #require(group[lead].authState.users["alice"]?.password)
        #expect(upgraded.rounds == UInt32(Self.configuredRounds))
        let other = try #require(group.ids.first { $0 != lead })
        try group.restart(other) { $0.passwordHashRounds = Self.configuredRounds }
        try group.settle()
        #expect(group[other].authState.users["alice"]?.password == upgraded)
    }
}
