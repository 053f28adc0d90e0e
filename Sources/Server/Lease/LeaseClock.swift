/// When each lease runs out, as the leader keeps it (etcd's lessor as primary). Followers keep
/// no time: a lease's expiry lives only in the leader's memory and ends by a revoke proposed
/// through Raft, so every member deletes the lease's keys at the same point of the log.
///
/// A new leader does not know when the old one last heard a keep-alive, so it gives every lease
/// its whole TTL again plus an election timeout (etcd's Promote): no lease runs out because of
/// the election.
struct LeaseClock {
    private(set) var isPrimary = false
    /// Granted TTL in seconds of every applied lease: what a renewal sets the clock to.
    private var ttlSeconds: [Int64: Int64] = [:]
    /// When each lease runs out, on the leader only.
    private var expiryNanos: [Int64: UInt64] = [:]
    /// No lease runs out before this time (a bound: it may be earlier than the true first expiry
    /// after a renewal, which costs one needless look at the leases).
    private var earliestNanos = UInt64.max
    /// Leases whose revoke was proposed, and when: proposed again only after `retryNanos`.
    private var revokeProposedNanos: [Int64: UInt64] = [:]

    /// etcd's expiredLeaseRetryInterval.
    static let retryNanos: UInt64 = 3_000_000_000
    /// Revokes proposed per look, so a mass expiry goes through the log in steps (etcd limits
    /// its revokes to 1,000 a second).
    static let revokesPerCheckMax = 100

    mutating func reset(_ table: LeaseTable, now: UInt64) {
        ttlSeconds = table.ttlSeconds
        expiryNanos = [:]
        revokeProposedNanos = [:]
        earliestNanos = .max
        if isPrimary { promote(extendNanos: 0, now: now) }
    }

    /// This member became the leader: every lease starts its TTL again, plus `extendNanos`.
    mutating func promote(extendNanos: UInt64, now: UInt64) {
        isPrimary = true
        expiryNanos = [:]
        earliestNanos = .max
        for (id, ttl) in ttlSeconds { setExpiry(id, now + extendNanos + Self.nanos(ttl)) }
    }

    /// This member no longer leads: it keeps no time.
    mutating func demote() {
        isPrimary = false
        expiryNanos = [:]
        revokeProposedNanos = [:]
        earliestNanos = .max
    }

    mutating func granted(_ id: Int64, ttlSeconds ttl: Int64, now: UInt64) {
        ttlSeconds[id] = ttl
        if isPrimary { setExpiry(id, now + Self.nanos(ttl)) }
    }

    mutating func revoked(_ id: Int64) {
        ttlSeconds[id] = nil
        expiryNanos[id] = nil
        revokeProposedNanos[id] = nil
    }

    /// A keep-alive: the lease's TTL starts again. Its TTL, or nil when there is no such lease
    /// or it has already run out (its revoke is on the way).
    mutating func renew(_ id: Int64, now: UInt64) throws(LeaseError) -> Int64 {
        guard isPrimary else { throw .notPrimary }
        guard let ttl = ttlSeconds[id], let expiry = expiryNanos[id], expiry > now else { throw .notFound }
        setExpiry(id, now + Self.nanos(ttl))
        return ttl
    }

    /// The lease's granted TTL and the whole seconds it has left.
    func timeToLive(_ id: Int64, now: UInt64) throws(LeaseError) -> (grantedSeconds: Int64, remainingSeconds: Int64) {
        guard isPrimary else { throw .notPrimary }
        guard let ttl = ttlSeconds[id], let expiry = expiryNanos[id] else { throw .notFound }
        return (ttl, expiry > now ? Int64((expiry - now) / 1_000_000_000) : 0)
    }

    /// The leases that have run out and whose revoke is not already on the way, at most
    /// `revokesPerCheckMax`; they count as proposed from now.
    mutating func takeExpired(now: UInt64) -> [Int64] {
        guard isPrimary, now >= earliestNanos else { return [] }
        var expired: [Int64] = []
        var earliest = UInt64.max
        for (id, expiry) in expiryNanos {
            guard expiry <= now else {
                earliest = min(earliest, expiry)
                continue
            }
            if let proposed = revokeProposedNanos[id], now < proposed + Self.retryNanos {
                earliest = min(earliest, proposed + Self.retryNanos)
            } else if expired.count < Self.revokesPerCheckMax {
                expired.append(id)
                revokeProposedNanos[id] = now
                earliest = min(earliest, now + Self.retryNanos)
            } else {
                earliest = now
            }
        }
        earliestNanos = earliest
        return expired.sorted()
    }

    private mutating func setExpiry(_ id: Int64, _ nanos: UInt64) {
        expiryNanos[id] = nanos
        earliestNanos = min(earliestNanos, nanos)
    }

    /// A TTL in nanoseconds: at most `LeaseTable.maxTTLSeconds`, so it cannot overflow.
    private static func nanos(_ seconds: Int64) -> UInt64 {
        precondition(seconds >= 0 && seconds <= LeaseTable.maxTTLSeconds, "lease TTL \(seconds) s out of range")
        return UInt64(seconds) * 1_000_000_000
    }
}
