/// Slows down guessing passwords: per user name, the first few wrong passwords cost nothing,
/// then each further one blocks that name for twice as long as the last (up to a cap). While a
/// name is blocked its attempts are refused before the password is even looked at, so a
/// guesser learns nothing from them. A right password clears the name.
struct AuthRateLimiter {
    static let freeFailures = 3
    static let firstDelayNanos: UInt64 = 1_000_000_000
    static let maxDelayNanos: UInt64 = 60_000_000_000
    /// Names remembered at once; beyond it, names no longer blocked are forgotten first.
    static let capacity = 4096

    struct Entry {
        var failures: Int
        var blockedUntilNanos: UInt64
    }

    private(set) var entries: [String: Entry] = [:]

    /// nil when `user` may try now, else how long until it may.
    func retryAfterNanos(user: String, now: UInt64) -> UInt64? {
        guard let entry = entries[user], entry.blockedUntilNanos > now else { return nil }
        return entry.blockedUntilNanos - now
    }

    /// Counts a wrong password for `user` and blocks it once past the free failures.
    mutating func recordFailure(user: String, now: UInt64) {
        if entries[user] == nil && entries.count >= Self.capacity { evict(now: now) }
        var entry = entries[user] ?? Entry(failures: 0, blockedUntilNanos: 0)
        entry.failures += 1
        let over = entry.failures - Self.freeFailures
        if over > 0 {
            let doublings = UInt64(min(over - 1, 20))
            entry.blockedUntilNanos = now + min(Self.firstDelayNanos << doublings, Self.maxDelayNanos)
        }
        entries[user] = entry
    }

    mutating func recordSuccess(user: String) {
        entries[user] = nil
    }

    private mutating func evict(now: UInt64) {
        entries = entries.filter { $0.value.blockedUntilNanos > now }
        if entries.count >= Self.capacity, let fewest = entries.min(by: { $0.value.failures < $1.value.failures }) {
            entries[fewest.key] = nil
        }
    }
}
