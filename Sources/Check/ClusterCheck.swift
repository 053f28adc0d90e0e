import Cluster
import MVCC
import Raft
import Server

/// One seed of `rafttop check`: a whole simulated cluster (Raft, WAL on simulated disks, MVCC,
/// the put path, the client's retries) under faults, with clients recording a history, then
/// every check on what happened.
public struct ClusterCheck: Sendable {
    public struct Options: Sendable {
        public var seed: UInt64
        public var memberCount: Int
        /// Client operations per seed.
        public var operations: Int
        public var clients: Int
        public var keys: Int
        /// Sabotage for tests: proves the check catches a cluster that breaks its promises.
        public var sabotage: Sabotage?
        /// Add, promote and remove members among the faults, and check the quorum rules of it.
        public var membershipChanges: Bool

        public init(seed: UInt64, memberCount: Int = 3, operations: Int = 200, clients: Int = 5, keys: Int = 3,
                    sabotage: Sabotage? = nil, membershipChanges: Bool = false) {
            self.membershipChanges = membershipChanges
            self.seed = seed
            self.memberCount = memberCount
            self.operations = operations
            self.clients = clients
            self.keys = keys
            self.sabotage = sabotage
        }
    }

    /// Ways to break a cluster on purpose.
    public enum Sabotage: String, Sendable, CaseIterable {
        /// Members answer linearizable reads from their own store, without ReadIndex.
        case localReads = "local-reads"
        /// The check's keep-alives are counted but never sent: the kept lease runs out.
        case ignoredKeepAlives = "ignored-keep-alives"
    }

    public var options: Options

    public init(options: Options) {
        self.options = options
    }

    /// Simulated time between two rounds of client calls.
    static let stepNanos: UInt64 = 5_000_000

    public func run() -> SeedReport {
        var report = SeedReport(seed: options.seed)
        do {
            try run(into: &report)
        } catch {
            report.violations.append(Violation(kind: .clusterFailed, detail: "\(error)"))
        }
        return report
    }

    private func run(into report: inout SeedReport) throws {
        let applied = AppliedLog()
        let cluster = try Cluster(config: clusterConfig(applied: applied))
        defer { cluster.shutdown() }
        let workload = Workload(options: Workload.Options(clients: options.clients, keys: options.keys,
                                                          operations: options.operations), seed: options.seed)
        let leases = LeaseWorkload(dropsKeepAlives: options.sabotage == .ignoredKeepAlives)
        var faults = FaultInjector(seed: options.seed, membershipChanges: options.membershipChanges)
        var membershipProblems: [String] = []
        // A quiet start, as a cluster that has just come up: the first leader is elected.
        cluster.advance(byNanos: 2 * cluster.config.member.electionTimeoutNanos)
        var nextFaultNanos = cluster.nowNanos() + faults.nextIntervalNanos()
        while !workload.isFinishedIssuing {
            workload.startDue(on: cluster)
            leases.step(on: cluster, halfway: workload.issued >= options.operations / 2)
            cluster.advance(byNanos: Self.stepNanos)
            if options.membershipChanges && membershipProblems.count < 10 {
                membershipProblems += MembershipInvariant.check(cluster)
            }
            if cluster.nowNanos() >= nextFaultNanos {
                try faults.inject(into: cluster)
                nextFaultNanos = cluster.nowNanos() + faults.nextIntervalNanos()
            }
        }
        report.faults = faults.counts
        try FaultInjector.heal(cluster)
        let limitNanos: UInt64 = 120_000_000_000
        // The kept lease is kept alive to the end, as its client would.
        func renew() { leases.renewIfDue(on: cluster, now: cluster.nowNanos()) }
        cluster.run(until: { renew(); return workload.isIdle }, stepNanos: Self.stepNanos, limitNanos: limitNanos)
        if !cluster.run(until: { renew(); return leases.expiredLeaseIsGone(cluster) }, stepNanos: Self.stepNanos, limitNanos: limitNanos) {
            report.violations.append(Violation(kind: .leaseBroken, detail: "the lease left to run out was not revoked within 120 s of healing"))
        }
        let converged = cluster.run(until: { renew(); return Self.converged(cluster) }, stepNanos: Self.stepNanos, limitNanos: limitNanos)
        if !converged {
            report.violations.append(Violation(kind: .noProgress, detail: "the members did not converge within 120 s of healing"))
        }
        report.violations += leases.violations(cluster, applied: applied.entries).map { Violation(kind: .leaseBroken, detail: $0) }
        let finalValues = finalReads(cluster, workload: workload, report: &report)
        let (history, malformed) = workload.close()
        report.operations = history.operations.count
        report.historyDigest = history.digest
        report.unknownOutcomes = history.operations.filter(\.isUnknown).count
        report.appliedEntries = applied.appliedCount
        report.violations += membershipProblems.prefix(10).map { Violation(kind: .membershipQuorum, detail: $0) }
        report.violations += malformed.map { Violation(kind: .malformedAnswer, detail: $0) }
        report.violations += applied.conflicts.map { Violation(kind: .appliedLogsDiverge, detail: $0) }
        report.violations += RevisionInvariants.check(history).prefix(10).map { Violation(kind: .revisionOrder, detail: $0) }
        report.violations += DurabilityInvariant.check(history, finalValues: finalValues).map {
            Violation(kind: .acknowledgedWriteLost, detail: $0)
        }
        checkLinearizability(history, into: &report)
    }

    private func clusterConfig(applied: AppliedLog) -> ClusterConfig {
        var config = ClusterConfig(memberCount: options.memberCount, driver: .simulated(seed: options.seed))
        config.network = FaultInjector.calm
        // Small enough that snapshots, log compaction and store compaction all happen in a run.
        config.member.snapshotCount = 40
        config.member.snapshotCatchUpEntries = 10
        config.member.autoCompactionRetention = 30
        config.member.requestTimeoutBaseNanos = 2_000_000_000
        config.member.applyObserver = { applied.record($0, $1) }
        switch options.sabotage {
        case .localReads?: config.member.unsafeLocalReads = true
        case .ignoredKeepAlives?, nil: break
        }
        config.storeOnSimulatedDisks(seed: options.seed)
        return config
    }

    /// A leader, and every member has applied everything in its log.
    private static func converged(_ cluster: Cluster) -> Bool {
        guard cluster.leader != nil else { return false }
        var applied: Set<UInt64> = []
        for id in cluster.ids {
            guard let status = cluster.member(id)?.status() else { return false }
            guard status.appliedIndex == status.raft.lastIndex else { return false }
            applied.insert(status.appliedIndex)
        }
        return applied.count == 1
    }

    /// Reads every key from every member's store; they must agree. Each becomes a last read in the history.
    private func finalReads(_ cluster: Cluster, workload: Workload,
                            report: inout SeedReport) -> [String: (value: String?, modRevision: Int64?)] {
        var values: [String: (value: String?, modRevision: Int64?)] = [:]
        for k in 0..<options.keys {
            let key = "k\(k)"
            var seen: [(NodeID, KeyValue?, Int64)] = []
            for id in cluster.ids {
                guard let member = cluster.member(id),
                      let result = try? member.localRange(RangeRequest(range: KeyRange(key: Array(key.utf8)))) else { continue }
                seen.append((id, result.kvs.first, result.revision))
            }
            guard let (firstID, kv, revision) = seen.first else { continue }
            for (id, other, _) in seen.dropFirst() where other?.value != kv?.value || other?.modRevision != kv?.modRevision {
                report.violations.append(Violation(kind: .membersDisagree, detail:
                    "\(key): member \(firstID) has \(Self.describe(kv)), member \(id) has \(Self.describe(other))"))
            }
            let value = kv.map { String(decoding: $0.value, as: UTF8.self) }
            values[key] = (value, kv?.modRevision)
            workload.recordFinalRead(key: key, value: value, modRevision: kv?.modRevision, revision: revision)
        }
        return values
    }

    private static func describe(_ kv: KeyValue?) -> String {
        kv.map { "\(String(decoding: $0.value, as: UTF8.self)) @\($0.modRevision)" } ?? "nothing"
    }

    private func checkLinearizability(_ history: History, into report: inout SeedReport) {
        let checker = LinearizabilityChecker()
        for (key, operations) in history.byKey {
            switch checker.check(operations) {
            case .linearizable:
                report.operationsChecked += operations.count
            case .unknown:
                report.keysUndecided += 1
            case .violation:
                report.operationsChecked += operations.count
                let shrunk = HistoryShrinker().shrink(operations)
                report.violations.append(Violation(kind: .notLinearizable, detail:
                    "the \(operations.count) operations on \(key) are not linearizable", history: shrunk.map(\.description)))
            }
        }
    }
}
