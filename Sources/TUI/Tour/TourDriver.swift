import Cluster

/// Why a tour could not start or go on, worded for the status line.
public struct TourError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    init(_ message: String) {
        self.message = message
    }
}

/// One stop a tour made: the stage and the cluster as it was then, kept so `back` shows it again
/// exactly.
public struct TourStop: Sendable {
    public var stageIndex: Int
    public var observation: TourObservation
}

/// Runs a tour over a simulated cluster: for each stage in turn it does the stage's action, then
/// moves simulated time on in small steps until the stage's predicate holds, and stops there.
/// Stages that happen at one instant are consecutive stops at the same time.
public final class TourDriver {
    public let kind: TourKind
    public let cluster: Cluster
    /// A cluster made for the tour alone is shut down when the tour ends.
    let ownsCluster: Bool
    public let stages: [TourStage]
    public private(set) var stops: [TourStop] = []
    /// Which stop is shown; -1 before the first.
    public private(set) var position = -1
    private var put: TourPut?
    private var startNanos: UInt64?

    /// Simulated time one step of the search for the next stage moves on.
    public static let stepNanos: UInt64 = 100_000
    /// A stage that has not happened after this much simulated time is reported, not waited for.
    public var stageLimitNanos: UInt64 = 10_000_000_000
    public static let memberRange = 3...7
    static let networkMillis = 2
    static let leaderSyncMillis = 1

    /// A simulated cluster as the tours expect it: etcd's timing (100 ms heartbeat, 1 s election
    /// timeout), a network of `networkMillis` one way, members on simulated disks whose fsyncs
    /// the put tour slows so each one shows.
    public static func makeCluster(members: Int, seed: UInt64) throws(TourError) -> Cluster {
        guard memberRange.contains(members) else {
            throw TourError("a tour needs \(memberRange.lowerBound) to \(memberRange.upperBound) members, not \(members)")
        }
        var config = ClusterConfig(memberCount: members, driver: .simulated(seed: seed))
        config.network.latencyMicros = UInt64(networkMillis) * 1000
        config.storeOnSimulatedDisks(seed: seed)
        do {
            return try Cluster(config: config)
        } catch {
            throw TourError("the tour's cluster could not start: \(error)")
        }
    }

    /// A tour of `kind` over `cluster`, which must be simulated and quiet (no load). Waits in
    /// simulated time for a leader that serves, and for every member to apply what it committed.
    public init(kind: TourKind, cluster: Cluster, ownsCluster: Bool) throws(TourError) {
        self.kind = kind
        self.cluster = cluster
        self.ownsCluster = ownsCluster
        guard cluster.config.driver != .realTime else { throw TourError("a tour runs in simulated time; this cluster runs in real time") }
        let settled = cluster.run(until: {
            guard cluster.isReady, let leader = cluster.leader else { return false }
            let members = cluster.snapshot().members
            let commit = members.first { $0.id == leader }?.status?.raft.commit ?? 0
            return members.allSatisfy { $0.state == .down || ($0.status?.appliedIndex ?? 0) >= commit }
        }, stepNanos: 10_000_000, limitNanos: 60_000_000_000)
        guard settled, let leader = cluster.leader, let status = cluster.memberStatus(leader) else {
            throw TourError("the tour's cluster elected no leader within 60 s of simulated time")
        }
        let followers = cluster.ids.filter { $0 != leader && cluster.memberState($0) == .up }
        let electionMillis = Int(cluster.memberTiming.electionTimeoutNanos / 1_000_000)
        switch kind {
        case .put:
            // Each disk a little slower than the last, so every fsync and ack is a stop of its own.
            var followerSync: [NodeID: Int] = [:]
            for (i, f) in followers.enumerated() { followerSync[f] = 2 + i }
            do {
                let hour: UInt64 = 3_600_000_000_000
                try cluster.slowDisk(leader, latencyNanos: UInt64(Self.leaderSyncMillis) * 1_000_000, jitterNanos: 0, durationNanos: hour, seed: 1)
                for f in followers {
                    try cluster.slowDisk(f, latencyNanos: UInt64(followerSync[f]!) * 1_000_000, jitterNanos: 0, durationNanos: hour, seed: 1)
                }
            } catch {
                throw TourError("the put tour needs simulated disks: \(error)")
            }
            stages = PutPathTour.stages(leader: leader, followers: followers, leaderSyncMillis: Self.leaderSyncMillis,
                                        followerSyncMillis: followerSync, networkMillis: Self.networkMillis,
                                        requestTimeoutMillis: Int(cluster.memberTiming.requestTimeoutNanos / 1_000_000))
        case .failover:
            stages = FailoverTour.stages(leader: leader, term: status.raft.term, lastIndex: status.raft.lastIndex,
                                         electionMillis: electionMillis)
        }
    }

    public var current: TourStop? {
        stops.indices.contains(position) ? stops[position] : nil
    }

    public var isAtEnd: Bool { position == stages.count - 1 }

    /// Goes to the next stage: again to one already seen after `back`, otherwise on in simulated
    /// time until it has happened. Throws when it does not happen within `stageLimitNanos`.
    public func next() throws(TourError) {
        if position + 1 < stops.count {
            position += 1
            return
        }
        let index = stops.count
        guard index < stages.count else { return }
        let stage = stages[index]
        if let action = stage.action { try perform(action) }
        var waited: UInt64 = 0
        var observation = observe()
        if !stage.happened(observation) {
            // Work due at this very instant first (the raft loop's next cycle), then small steps.
            cluster.advance(byNanos: 0)
            observation = observe()
        }
        while !stage.happened(observation) {
            guard waited < stageLimitNanos else {
                throw TourError("stage \(index + 1) (\(stage.functions)) did not happen within \(Format.millis(nanos: stageLimitNanos)) ms of simulated time")
            }
            cluster.advance(byNanos: Self.stepNanos)
            waited += Self.stepNanos
            observation = observe()
        }
        stops.append(TourStop(stageIndex: index, observation: observation))
        position = index
    }

    /// Goes back one stop; false at the first.
    @discardableResult
    public func back() -> Bool {
        guard position > 0 else { return false }
        position -= 1
        return true
    }

    /// What the caption box shows for the current stop.
    public var view: TourView? {
        guard let stop = current else { return nil }
        let stage = stages[stop.stageIndex]
        let now = stop.observation.snapshot.nowNanos
        return TourView(title: kind.title, stageNumber: stop.stageIndex + 1, stageCount: stages.count,
                        functions: stage.functions, file: stage.file, caption: stage.caption, areas: stage.areas,
                        elapsedNanos: startNanos.map { now >= $0 ? now - $0 : 0 } ?? 0)
    }

    /// Ends the tour: a cluster made for it is shut down.
    public func close() {
        if ownsCluster { cluster.shutdown() }
    }

    private func observe() -> TourObservation {
        TourObservation(snapshot: cluster.snapshot(), put: put)
    }

    private func perform(_ action: TourAction) throws(TourError) {
        let now = cluster.nowNanos()
        if startNanos == nil { startNanos = now }
        switch action {
        case .put(let key, let value):
            guard let leader = cluster.leader, let status = cluster.memberStatus(leader) else {
                throw TourError("there is no leader to send the put to")
            }
            put = TourPut(key: key, via: leader, index: status.raft.lastIndex + 1, sentNanos: now,
                          acknowledgedBefore: cluster.snapshot().putsAcknowledged)
            cluster.put(key: Array(key.utf8), value: Array(value.utf8), via: leader)
        case .kill(let id):
            do {
                try cluster.crash(id)
            } catch {
                throw TourError("the tour could not kill member \(id): \(error)")
            }
        }
    }
}
