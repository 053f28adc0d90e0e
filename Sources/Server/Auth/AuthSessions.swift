import Locking

/// The side of auth that is not replicated: simple tokens handed out by Authenticate, and the
/// limiter on wrong passwords. Tokens live only in memory, never in the log or a snapshot; the
/// members of one process share one `AuthSessions`, so a token from any member works on every
/// member, as etcd's replicated simple tokens do.
public final class AuthSessions: Sendable {
    /// etcd's simple-token TTL: five minutes since the token was last used.
    public static let defaultTokenTTLNanos: UInt64 = 300_000_000_000
    /// Tokens held at once; beyond it, the one closest to expiry goes.
    static let maxTokens = 65_536

    struct Token {
        let username: String
        var expiresNanos: UInt64
    }

    struct State {
        var tokens: [String: Token] = [:]
        var counter: UInt64 = 0
        var limiter = AuthRateLimiter()
    }

    public let tokenTTLNanos: UInt64
    let state = Locked(State())

    public init(tokenTTLNanos: UInt64 = AuthSessions.defaultTokenTTLNanos) {
        self.tokenTTLNanos = tokenTTLNanos
    }

    /// A new random token for `username`, valid for the TTL from `now`.
    func assign(username: String, now: UInt64) -> String {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let random = String((0..<16).map { _ in letters[Int.random(in: 0..<letters.count, using: &generator)] })
        return state.withLock { s in
            s.counter += 1
            let token = "\(random).\(s.counter)"
            if s.tokens.count >= Self.maxTokens {
                s.tokens = s.tokens.filter { $0.value.expiresNanos > now }
                if s.tokens.count >= Self.maxTokens, let oldest = s.tokens.min(by: { $0.value.expiresNanos < $1.value.expiresNanos }) {
                    s.tokens[oldest.key] = nil
                }
            }
            s.tokens[token] = Token(username: username, expiresNanos: now + tokenTTLNanos)
            return token
        }
    }

    /// The user a live token belongs to; using a token extends its life by the TTL.
    func username(forToken token: String, now: UInt64) -> String? {
        state.withLock { s in
            guard let entry = s.tokens[token] else { return nil }
            guard entry.expiresNanos > now else {
                s.tokens[token] = nil
                return nil
            }
            s.tokens[token]!.expiresNanos = now + tokenTTLNanos
            return entry.username
        }
    }

    /// Forgets every token of `username` (deleted, or its password changed).
    func invalidate(username: String) {
        state.withLock { s in s.tokens = s.tokens.filter { $0.value.username != username } }
    }

    /// Forgets every token (auth disabled).
    func invalidateAll() {
        state.withLock { $0.tokens.removeAll() }
    }

    /// How many tokens are live: for tests and status.
    public var tokenCount: Int { state.withLock { $0.tokens.count } }

    func retryAfterNanos(user: String, now: UInt64) -> UInt64? {
        state.withLock { $0.limiter.retryAfterNanos(user: user, now: now) }
    }

    func recordFailure(user: String, now: UInt64) {
        state.withLock { $0.limiter.recordFailure(user: user, now: now) }
    }

    func recordSuccess(user: String) {
        state.withLock { $0.limiter.recordSuccess(user: user) }
    }
}
