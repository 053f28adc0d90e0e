import MVCC
import Raft
import Testing
@testable import Server

/// Auth in the put path of a three-member group: the header carries the user and auth
/// revision, the check happens at apply time, and an old auth revision is proposed again.
@Suite struct AuthPutPathTests {
    static let root = Credentials.user("root")
    static let alice = Credentials.user("alice")

    /// Runs `body`'s request on `member`, settles the group and returns what it answered.
    static func run(_ group: MemberGroup, _ body: (Outcome) -> Void) throws -> Result<Response, ServerError> {
        let outcome = Outcome()
        body(outcome)
        try group.settle()
        return try #require(outcome.result)
    }

    /// root (root role) and alice (role `r` with `permissions`), auth on.
    static func enableAuth(_ group: MemberGroup, via id: NodeID, permissions: [Permission]) throws {
        let m = group[id]
        var steps: [(Outcome) -> Void] = [
            { m.addUser("root", password: "root-pw", credentials: .none, completion: $0.completion) },
            { m.proposeAuth(.userGrantRole(user: "root", role: "root"), credentials: .none, completion: $0.completion) },
            { m.proposeAuth(.roleAdd(name: "r"), credentials: .none, completion: $0.completion) },
            { m.addUser("alice", password: "alice-pw", credentials: .none, completion: $0.completion) },
            { m.proposeAuth(.userGrantRole(user: "alice", role: "r"), credentials: .none, completion: $0.completion) },
        ]
        for permission in permissions {
            steps.append { m.proposeAuth(.roleGrantPermission(role: "r", permission: permission), credentials: .none, completion: $0.completion) }
        }
        steps.append { m.proposeAuth(.enable, credentials: .none, completion: $0.completion) }
        for step in steps { _ = try run(group, step).get() }
    }

    static func value(_ group: MemberGroup, _ id: NodeID, _ key: String) throws -> [UInt8]? {
        try group[id].localRange(RangeRequest(range: KeyRange(key: bytes(key)))).kvs.first?.value
    }

    @Test func aReadOnlyUsersPutIsDeniedAndItsGetAllowed() throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        _ = try Self.run(group) { group[lead].put(PutRequest(key: bytes("k"), value: bytes("before")), completion: $0.completion) }.get()
        try Self.enableAuth(group, via: lead, permissions: [Permission(kind: .read, range: KeyRange(key: bytes("k")))])

        let put = try Self.run(group) { group[lead].put(PutRequest(key: bytes("k"), value: bytes("after")), credentials: Self.alice, completion: $0.completion) }
        #expect(put.failure == .auth(.permissionDenied))
        #expect(put.failure?.description == "etcdserver: permission denied")
        for id in group.ids { #expect(try Self.value(group, id, "k") == bytes("before"), "member \(id)") }

        for serializable in [true, false] {
            let read = try Self.run(group) {
                group[lead].range(RangeRequest(range: KeyRange(key: bytes("k"))), serializable: serializable, credentials: Self.alice, completion: $0.completion)
            }
            guard case .range(let result) = try read.get().outcome else { Issue.record("not a range"); continue }
            #expect(result.kvs.first?.value == bytes("before"))
            let other = try Self.run(group) {
                group[lead].range(RangeRequest(range: KeyRange(key: bytes("other"))), serializable: serializable, credentials: Self.alice, completion: $0.completion)
            }
            #expect(other.failure == .auth(.permissionDenied))
        }

        let anonymous = try Self.run(group) { group[lead].put(PutRequest(key: bytes("k"), value: bytes("x")), completion: $0.completion) }
        #expect(anonymous.failure?.description == "etcdserver: user name is empty")
        let byRoot = try Self.run(group) { group[lead].put(PutRequest(key: bytes("k"), value: bytes("root")), credentials: Self.root, completion: $0.completion) }
        #expect(byRoot.failure == nil)
    }

    @Test func aPermissionRevokedBetweenProposeAndApplyFailsTheRetry() throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        let k = Permission(kind: .readwrite, range: KeyRange(key: bytes("k")))
        try Self.enableAuth(group, via: lead, permissions: [k])
        let revisionBefore = group[lead].authState.revision

        // The revoke is proposed first and alice's put second, with the auth revision of now:
        // the log applies the revoke before the put, so the put's revision is old when it is
        // applied, and its second proposal finds the permission gone.
        let revoke = Outcome()
        group[lead].proposeAuth(.roleRevokePermission(role: "r", range: k.range), credentials: Self.root, completion: revoke.completion)
        let put = Outcome()
        group[lead].put(PutRequest(key: bytes("k"), value: bytes("v")), credentials: Self.alice, completion: put.completion)
        try group.settle()

        #expect(revoke.result?.failure == nil)
        #expect(put.result?.failure == .auth(.permissionDenied))
        #expect(group[lead].status().metrics.authRetries == 1)
        #expect(group[lead].authState.revision == revisionBefore + 1)
        for id in group.ids { #expect(try Self.value(group, id, "k") == nil, "member \(id)") }
        let trace = try #require(group[lead].recentTraces().last)
        #expect(trace.username == "alice")
        #expect(trace.authCheckedNanos != nil)
    }

    @Test func aPutBehindAnUnrelatedAuthChangeSucceedsOnItsRetry() throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        try Self.enableAuth(group, via: lead, permissions: [Permission(kind: .readwrite, range: KeyRange(key: bytes("k")))])
        let change = Outcome()
        group[lead].proposeAuth(.roleAdd(name: "other"), credentials: Self.root, completion: change.completion)
        let put = Outcome()
        group[lead].put(PutRequest(key: bytes("k"), value: bytes("v")), credentials: Self.alice, completion: put.completion)
        try group.settle()
        #expect(put.result?.failure == nil)
        #expect(group[lead].status().metrics.authRetries == 1)
        for id in group.ids { #expect(try Self.value(group, id, "k") == bytes("v")) }
    }

    @Test func authChangesNeedTheRootRoleOnceAuthIsOn() throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        try Self.enableAuth(group, via: lead, permissions: [])
        let byAlice = try Self.run(group) { group[lead].proposeAuth(.roleAdd(name: "x"), credentials: Self.alice, completion: $0.completion) }
        #expect(byAlice.failure == .auth(.permissionDenied))
        let anonymous = try Self.run(group) { group[lead].proposeAuth(.userList, credentials: .none, completion: $0.completion) }
        #expect(anonymous.failure == .auth(.userEmpty))
        let list = try Self.run(group) { group[lead].proposeAuth(.userList, credentials: Self.root, completion: $0.completion) }
        #expect(try list.get().outcome == .auth(.names(["alice", "root"])))
    }

    @Test func authStateIsTheSameOnEveryMemberAfterALeaderChangeAndARestart() throws {
        let group = try MemberGroup { $0.snapshotCount = 6; $0.snapshotCatchUpEntries = 2 }
        let lead = try group.electLeader()
        try Self.enableAuth(group, via: lead, permissions: [Permission(kind: .read, range: .prefix(bytes("a/")))])
        #expect(group[lead].status().metrics.snapshotsTaken >= 1, "the auth state went into a snapshot")

        let next = group.ids.first { $0 != lead }!
        group[lead].transferLeadership(to: next)
        try group.tick(20)
        let newLead = try #require(group.leader)
        #expect(newLead != lead)
        _ = try Self.run(group) {
            group[newLead].proposeAuth(.roleGrantPermission(role: "r", permission: Permission(kind: .write, range: KeyRange(key: bytes("w")))),
                                       credentials: Self.root, completion: $0.completion)
        }.get()
        let expected = group[newLead].authState
        #expect(expected.enabled)
        for id in group.ids { #expect(group[id].authState == expected, "member \(id) after the leader change") }

        for id in group.ids { try group.restart(id) }
        _ = try group.electLeader()
        try group.settle()
        for id in group.ids {
            #expect(group[id].authState == expected, "member \(id) after a restart")
            #expect(group[id].status().auth == AuthStatus(enabled: true, revision: expected.revision))
        }
    }

    @Test func tokensNameTheirUserExpireAndEndWithTheUser() throws {
        let group = try MemberGroup { $0.authSessions = AuthSessions(tokenTTLNanos: 1_000_000_000) }
        let lead = try group.electLeader()
        #expect(throws: AuthError.authNotEnabled) { try group[lead].authenticate(username: "root", password: "root-pw") }
        try Self.enableAuth(group, via: lead, permissions: [Permission(kind: .readwrite, range: KeyRange(key: bytes("k")))])

        let token = try group[lead].authenticate(username: "alice", password: "alice-pw")
        #expect(try group[lead].authInfo(.token(token)).username == "alice")
        #expect(throws: AuthError.invalidAuthToken) { try group[lead].authInfo(.token(token + "x")) }
        let put = try Self.run(group) { group[lead].put(PutRequest(key: bytes("k"), value: bytes("v")), credentials: .token(token), completion: $0.completion) }
        #expect(put.failure == nil)

        group.clock.advance(byNanos: 2_000_000_000)
        #expect(throws: AuthError.invalidAuthToken) { try group[lead].authInfo(.token(token)) }

        let again = try group[lead].authenticate(username: "alice", password: "alice-pw")
        _ = try Self.run(group) { group[lead].proposeAuth(.userDelete(name: "alice"), credentials: Self.root, completion: $0.completion) }.get()
        #expect(throws: AuthError.invalidAuthToken) { try group[lead].authInfo(.token(again)) }
    }

    @Test func wrongPasswordsAreRefusedAndThenSlowedDown() throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        try Self.enableAuth(group, via: lead, permissions: [])
        let member = group[lead]
        for _ in 0..<AuthRateLimiter.freeFailures {
            #expect(throws: AuthError.authFailed) { try member.authenticate(username: "alice", password: "guess") }
        }
        // One more wrong guess blocks the name; while blocked even the right password is refused
        // without being checked.
        #expect(throws: AuthError.authFailed) { try member.authenticate(username: "alice", password: "guess") }
        #expect(throws: AuthError.tooManyFailedAttempts(retryAfterMillis: AuthRateLimiter.firstDelayNanos / 1_000_000)) {
            try member.authenticate(username: "alice", password: "alice-pw")
        }
        // Other names are not blocked.
        #expect(throws: AuthError.authFailed) { try member.authenticate(username: "root", password: "guess") }

        group.clock.advance(byNanos: AuthRateLimiter.firstDelayNanos)
        #expect(throws: AuthError.authFailed) { try member.authenticate(username: "alice", password: "guess") }
        #expect(throws: AuthError.tooManyFailedAttempts(retryAfterMillis: 2 * AuthRateLimiter.firstDelayNanos / 1_000_000)) {
            try member.authenticate(username: "alice", password: "guess")
        }
        group.clock.advance(byNanos: 2 * AuthRateLimiter.firstDelayNanos)
        _ = try member.authenticate(username: "alice", password: "alice-pw")
        // A success cleared the count: the next wrong guess is a free one again.
        #expect(throws: AuthError.authFailed) { try member.authenticate(username: "alice", password: "guess") }
        #expect(try member.authenticate(username: "alice", password: "alice-pw").isEmpty == false)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
