import MVCC

/// Who a request comes from, as the caller of a member knows it.
public enum Credentials: Sendable, Hashable {
    /// No user: allowed only while auth is off.
    case none
    /// A token from `authenticate`, as etcdctl sends it in the `token` metadata.
    case token(String)
    /// A user the caller vouches for without a password: the local operator at the terminal UI,
    /// as etcd trusts the common name of a verified client certificate.
    case user(String)
}

/// etcd's AuthInfo: the user name and the auth revision a request is checked at.
public struct AuthInfo: Sendable, Hashable {
    public var username: String
    public var revision: UInt64
}

/// Whether auth is on at a member, and its auth revision.
public struct AuthStatus: Sendable, Hashable {
    public var enabled: Bool
    public var revision: UInt64

    public init(enabled: Bool, revision: UInt64) {
        self.enabled = enabled
        self.revision = revision
    }
}

extension Member {
    /// The user and auth revision to put in a request's header: etcd's AuthInfoFromCtx. No
    /// credentials give none (revision 0); a token that is unknown or expired is refused.
    public func authInfo(_ credentials: Credentials) throws(AuthError) -> AuthInfo {
        switch credentials {
        case .none:
            return AuthInfo(username: "", revision: 0)
        case .token(let token):
            guard let username = config.authSessions.username(forToken: token, now: clock.nowNanos()) else {
                throw .invalidAuthToken
            }
            return AuthInfo(username: username, revision: authRevision.load(ordering: .relaxed))
        case .user(let username):
            return AuthInfo(username: username, revision: authRevision.load(ordering: .relaxed))
        }
    }

    /// Checks a user's password and hands out a simple token: etcd's Authenticate. Wrong
    /// passwords count against the name; past a few, attempts are refused for a while without
    /// looking at the password (`tooManyFailedAttempts`). A hash weaker than this member's
    /// configured one is hashed again from the password just checked, and the new hash proposed
    /// through Raft like a password change, so every member stores the same one.
    public func authenticate(username: String, password: String) throws(AuthError) -> String {
        guard !stopped.load(ordering: .relaxed) else { throw .authFailed }
        let sessions = config.authSessions
        let now = clock.nowNanos()
        if let wait = sessions.retryAfterNanos(user: username, now: now) {
            throw .tooManyFailedAttempts(retryAfterMillis: (wait + 999_999) / 1_000_000)
        }
        let (enabled, user) = applier.withLock { ($0.auth.enabled, $0.auth.users[username]) }
        guard enabled else { throw .authNotEnabled }
        guard let hash = user?.password, hash.matches(password) else {
            sessions.recordFailure(user: username, now: now)
            throw .authFailed
        }
        sessions.recordSuccess(user: username)
        if hash.needsUpgrade(toRounds: config.passwordHashRounds) {
            let upgraded = PasswordHash(hashing: password, rounds: config.passwordHashRounds)
            // Nothing waits on it: if it fails (no leader, say), the next login tries again.
            propose(.auth(.userUpgradePassword(name: username, from: hash, to: upgraded))) { _ in }
        }
        return sessions.assign(username: username, now: clock.nowNanos())
    }

    /// Proposes an auth operation and calls `completion` when every member will have applied it.
    public func proposeAuth(_ operation: AuthOperation, credentials: Credentials, completion: @escaping Completion) {
        propose(.auth(operation), credentials: credentials, completion: completion)
    }

    /// Adds a user: the password is hashed here, before anything is proposed, so only its salted
    /// hash reaches the log. A nil password makes a user that cannot authenticate with one.
    public func addUser(_ name: String, password: String?, credentials: Credentials, completion: @escaping Completion) {
        let hash = password.map { PasswordHash(hashing: $0, rounds: config.passwordHashRounds) }
        proposeAuth(.userAdd(name: name, password: hash), credentials: credentials, completion: completion)
    }

    /// Changes a user's password, hashed here as `addUser` does.
    public func changePassword(of name: String, to password: String, credentials: Credentials, completion: @escaping Completion) {
        let hash = PasswordHash(hashing: password, rounds: config.passwordHashRounds)
        proposeAuth(.userChangePassword(name: name, password: hash), credentials: credentials, completion: completion)
    }

    /// The applied auth state of this member (for checks and views).
    public var authState: AuthState {
        applier.withLock { $0.auth }
    }
}

extension Member {
    /// Checks that `username` may `access` all of `range` under the auth state applied now (a
    /// watch's read permission).
    public func checkPermission(username: String, access: Permission.Access, range: KeyRange) throws(AuthError) {
        try applier.withLock { applier throws(AuthError) in
            try applier.auth.check(username: username, access: access, range: range)
        }
    }
}
