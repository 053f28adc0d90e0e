import Locking
import Cluster
import MVCC
import Raft
import Server

/// Three leases beside the key-value clients of a check, each with a key: one kept alive by
/// keep-alives to the leader every `renewNanos`, one revoked halfway, one left to run out. What
/// must hold afterwards: the kept lease is never revoked while its keep-alives never stopped for
/// a TTL; the revoked and the expired lease, and their keys, are gone from every member.
final class LeaseWorkload: Sendable {
    enum Role: String, CaseIterable, Sendable {
        case kept, revoked, expired
    }

    static let ttlSeconds: Int64 = 6
    static let renewNanos: UInt64 = 300_000_000

    private struct State {
        var ids: [Role: Int64] = [:]
        /// The lease's key was put with it (acknowledged).
        var keyPut: Set<Role> = []
        var grantsOut: Set<Role> = []
        var putsOut: Set<Role> = []
        var revokeOut = false
        var revokeAcknowledged = false
        var nextRenewNanos: UInt64 = 0
        /// When the kept lease's clock last started again, and the longest it went without.
        var lastRenewedNanos: UInt64?
        var longestGapNanos: UInt64 = 0
    }

    private let state = Locked(State())
    /// Sabotage for tests: keep-alives are counted as sent but never reach the leader.
    let dropsKeepAlives: Bool

    init(dropsKeepAlives: Bool = false) {
        self.dropsKeepAlives = dropsKeepAlives
    }

    static func key(_ role: Role) -> [UInt8] { Array("lease-\(role.rawValue)".utf8) }

    /// Grants, puts and keep-alives that are due; the revoke once `halfway` is true.
    func step(on cluster: Cluster, halfway: Bool) {
        let now = cluster.nowNanos()
        for role in Role.allCases {
            let (id, needsGrant, needsPut) = state.withLock { s in
                (s.ids[role], s.ids[role] == nil && !s.grantsOut.contains(role), s.ids[role] != nil && !s.keyPut.contains(role) && !s.putsOut.contains(role))
            }
            if needsGrant { grant(role, on: cluster) }
            if needsPut, let id { put(role, lease: id, on: cluster) }
        }
        renewIfDue(on: cluster, now: now)
        let revoke = state.withLock { s -> Int64? in
            guard halfway, !s.revokeOut, !s.revokeAcknowledged, s.keyPut.contains(.revoked), let id = s.ids[.revoked] else { return nil }
            s.revokeOut = true
            return id
        }
        if let revoke {
            cluster.request(.leaseRevoke(id: revoke)) { [weak self] result in
                self?.state.withLock { s in
                    s.revokeOut = false
                    if case .success = result { s.revokeAcknowledged = true }
                }
            }
        }
    }

    /// One keep-alive for the kept lease at the leader, when one is due.
    func renewIfDue(on cluster: Cluster, now: UInt64) {
        let id = state.withLock { s -> Int64? in
            guard let id = s.ids[.kept], now >= s.nextRenewNanos else { return nil }
            s.nextRenewNanos = now + Self.renewNanos
            return id
        }
        guard let id, let leader = cluster.leader.flatMap(cluster.member) else { return }
        guard dropsKeepAlives || (try? leader.renewLease(id: id)) != nil else { return }
        state.withLock { s in
            if let last = s.lastRenewedNanos { s.longestGapNanos = max(s.longestGapNanos, now - last) }
            s.lastRenewedNanos = now
        }
    }

    private func grant(_ role: Role, on cluster: Cluster) {
        guard let leader = cluster.leader.flatMap(cluster.member), let operation = try? leader.leaseGrant(ttlSeconds: Self.ttlSeconds) else { return }
        state.withLock { _ = $0.grantsOut.insert(role) }
        let granted = cluster.nowNanos()
        cluster.request(operation) { [weak self] result in
            self?.state.withLock { s in
                s.grantsOut.remove(role)
                guard case .success(let response) = result, case .leaseGrant(let id, _) = response.outcome else { return }
                s.ids[role] = id
                if role == .kept { s.lastRenewedNanos = granted }
            }
        }
    }

    private func put(_ role: Role, lease: Int64, on cluster: Cluster) {
        state.withLock { _ = $0.putsOut.insert(role) }
        cluster.request(.put(PutRequest(key: Self.key(role), value: Array("held".utf8), lease: lease))) { [weak self] result in
            self?.state.withLock { s in
                s.putsOut.remove(role)
                if case .success = result { s.keyPut.insert(role) }
            }
        }
    }

    /// Whether the lease that was left to run out is gone from every member.
    func expiredLeaseIsGone(_ cluster: Cluster) -> Bool {
        guard let id = state.withLock({ $0.ids[.expired] }) else { return true }
        return cluster.ids.allSatisfy { cluster.member($0).map { !$0.leases.contains(id) } ?? false }
    }

    /// What broke the rules of leases, given every entry applied in the run.
    func violations(_ cluster: Cluster, applied: [Entry]) -> [String] {
        let s = state.withLock { $0 }
        var problems: [String] = []
        let revoked = Set(applied.compactMap { entry -> Int64? in
            guard entry.type == .normal, !entry.data.isEmpty, let request = try? InternalRequest(decoding: entry.data),
                  case .leaseRevoke(let id) = request.operation else { return nil }
            return id
        })
        // A lease kept alive without a gap of a TTL is never revoked.
        if let kept = s.ids[.kept], revoked.contains(kept), s.longestGapNanos < UInt64(Self.ttlSeconds) * 1_000_000_000 {
            problems.append("lease \(LeaseID.hex(kept)) was revoked though keep-alives reached the leader at most "
                + "\(s.longestGapNanos / 1_000_000) ms apart, under its TTL of \(Self.ttlSeconds) s")
        }
        for role in [Role.revoked, .expired] {
            guard let id = s.ids[role], role == .expired || s.revokeAcknowledged else { continue }
            for member in cluster.ids {
                guard let m = cluster.member(member) else { continue }
                if m.leases.contains(id) { problems.append("member \(member) still holds the \(role.rawValue) lease \(LeaseID.hex(id))") }
                let kvs = (try? m.localRange(RangeRequest(range: KeyRange(key: Self.key(role)))).kvs) ?? []
                if kvs.contains(where: { $0.lease == id }) {
                    problems.append("member \(member) still has the key of the \(role.rawValue) lease \(LeaseID.hex(id))")
                }
            }
        }
        return problems
    }
}
