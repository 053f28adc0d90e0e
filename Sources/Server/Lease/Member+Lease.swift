import MVCC
import Raft

/// etcd's lease API on a member. Grants and revokes go through Raft; keep-alives and
/// time-to-live questions are the leader's alone, since only it keeps time.
extension Member {
    /// etcd's smallest TTL: one and a half election timeouts, in whole seconds rounded up
    /// (2 s at etcd's defaults). A grant asking for less gets this.
    public var minLeaseTTLSeconds: Int64 {
        let nanos = UInt64(3 * config.electionTicks / 2) * config.tickNanos
        return Int64((nanos + 999_999_999) / 1_000_000_000)
    }

    /// Grants a lease of `ttlSeconds` (raised to `minLeaseTTLSeconds`); `id` 0 lets the member
    /// choose one. Answers `.leaseGrant` with the id and TTL granted.
    public func grantLease(id: Int64 = 0, ttlSeconds: Int64, credentials: Credentials = .none,
                           completion: @escaping Completion) {
        do throws(ServerError) {
            propose(try leaseGrant(id: id, ttlSeconds: ttlSeconds), credentials: credentials, completion: completion)
        } catch {
            completion(.failure(error))
        }
    }

    /// The grant to propose for a request of `ttlSeconds` and `id` (0: this member chooses).
    public func leaseGrant(id: Int64 = 0, ttlSeconds: Int64) throws(ServerError) -> InternalRequest.Operation {
        guard ttlSeconds <= LeaseTable.maxTTLSeconds else { throw .lease(.ttlTooLarge) }
        // Like etcd, a chosen id comes from the request ids, kept positive.
        let chosen = id != 0 ? id : Int64(bitPattern: ids.withLock { $0.next() } & UInt64(Int64.max))
        return .leaseGrant(id: chosen, ttlSeconds: max(ttlSeconds, minLeaseTTLSeconds))
    }

    public func revokeLease(id: Int64, credentials: Credentials = .none, completion: @escaping Completion) {
        propose(.leaseRevoke(id: id), credentials: credentials, completion: completion)
    }

    /// A keep-alive, on the leader: the lease's TTL starts again. Returns the TTL.
    public func renewLease(id: Int64) throws(ServerError) -> Int64 {
        guard !stopped.load(ordering: .relaxed) else { throw .stopped }
        let now = clock.nowNanos()
        do throws(LeaseError) {
            return try leaseClock.withLock { clock throws(LeaseError) in try clock.renew(id, now: now) }
        } catch {
            throw .lease(error)
        }
    }

    /// What the leader knows of a lease: its granted TTL, the seconds left and its keys.
    public func leaseTimeToLive(id: Int64) throws(ServerError) -> LeaseStatus {
        guard !stopped.load(ordering: .relaxed) else { throw .stopped }
        let now = clock.nowNanos()
        let times: (grantedSeconds: Int64, remainingSeconds: Int64)
        do throws(LeaseError) {
            times = try leaseClock.withLock { clock throws(LeaseError) in try clock.timeToLive(id, now: now) }
        } catch {
            throw .lease(error)
        }
        let keys = applier.withLock { $0.store.keys(attachedTo: id) }
        return LeaseStatus(id: id, grantedTTLSeconds: times.grantedSeconds, remainingTTLSeconds: times.remainingSeconds, keys: keys)
    }

    /// The leases this member has applied, in id order.
    public var leases: LeaseTable {
        applier.withLock { $0.leases }
    }

    /// Whether this member keeps the lease clocks (it leads, as of its last tick).
    public var isLeasePrimary: Bool {
        leaseClock.withLock { $0.isPrimary }
    }

    /// Called every tick: follows leadership (a new leader starts every lease's TTL again, one
    /// election timeout later) and proposes the revoke of each lease that ran out.
    func revokeExpiredLeases() {
        let leads = raft.withLock { $0.lead == id }
        let now = clock.nowNanos()
        let expired = leaseClock.withLock { clock -> [Int64] in
            if leads != clock.isPrimary {
                if leads { clock.promote(extendNanos: config.electionTimeoutNanos, now: now) } else { clock.demote() }
            }
            return clock.takeExpired(now: now)
        }
        for lease in expired {
            metrics.withLock { $0.leasesExpired += 1 }
            meters.leasesExpired.increment()
            propose(.leaseRevoke(id: lease)) { _ in }
        }
    }

    /// Keeps the lease clocks in step with a grant or revoke just applied.
    func keepLeaseTime(_ outcome: Response.Outcome, now: UInt64) {
        switch outcome {
        case .leaseGrant(let id, let ttl): leaseClock.withLock { $0.granted(id, ttlSeconds: ttl, now: now) }
        case .leaseRevoke(let id): leaseClock.withLock { $0.revoked(id) }
        default: break
        }
    }
}

/// When a lease runs out, on the leader's clock.
public struct LeaseExpiry: Sendable, Hashable {
    public var id: Int64
    public var atNanos: UInt64
}

/// A lease as LeaseTimeToLive reports it.
public struct LeaseStatus: Sendable, Hashable {
    public var id: Int64
    public var grantedTTLSeconds: Int64
    public var remainingTTLSeconds: Int64
    /// The keys attached, in key order.
    public var keys: [[UInt8]]
}
