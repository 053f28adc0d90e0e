import Cluster
import Raft

/// The faults `rafttop check` injects into a cluster.
public enum ClusterFault: String, Sendable, Hashable, Codable, CodingKeyRepresentable, CaseIterable {
    /// A member dies; its disk keeps, loses or tears what it had not synced.
    case crash
    case restart
    /// A member stops as a process under SIGSTOP, a long GC pause or a stalled disk would.
    case pause
    case resume
    /// The members split into two groups.
    case partition
    /// The leader is cut off from everyone.
    case isolateLeader = "isolate-leader"
    case heal
    /// The network starts losing messages.
    case messageLoss = "message-loss"
    /// The network starts delivering some messages twice.
    case messageDuplication = "message-duplication"
    /// The network's delay grows and varies, so messages arrive late and out of order.
    case messageDelay = "message-delay"
    case leaderTransfer = "leader-transfer"
    /// A member's disk turns slow for a while: each sync takes tens to hundreds of
    /// milliseconds, so its raft loop waits in fsync and Raft sees a slow follower or leader.
    case slowDisk = "slow-disk"
    /// A learner is added through Raft and started (with `--membership`).
    case memberAdd = "member-add"
    /// The learner is promoted, or refused while it is behind (with `--membership`).
    case memberPromote = "member-promote"
    /// A follower is removed through Raft and stopped for good (with `--membership`).
    case memberRemove = "member-remove"
}

/// Chooses and applies faults from a seed. Keeps no more than a minority of members down or
/// paused for long, so the cluster makes progress between faults; still, for stretches it has
/// no quorum, and the clients' requests time out.
struct FaultInjector {
    private var random: SplitMix64
    private(set) var counts: [ClusterFault: Int] = [:]
    /// Whether members are added, promoted and removed too.
    let membershipChanges: Bool

    init(seed: UInt64, membershipChanges: Bool = false) {
        random = SplitMix64(seed: seed ^ 0x6661_756c_7473)
        self.membershipChanges = membershipChanges
    }

    private mutating func below(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }

    /// The time until the next fault.
    mutating func nextIntervalNanos() -> UInt64 {
        UInt64(50 + below(250)) * 1_000_000
    }

    mutating func inject(into cluster: Cluster) throws {
        let ids = cluster.ids
        let down = ids.filter { cluster.memberState($0) == .down }
        let paused = ids.filter { cluster.memberState($0) == .paused }
        let running = ids.filter { !down.contains($0) && !paused.contains($0) }
        let roll = below(100)
        // Bring members back more often the more are out.
        if (!down.isEmpty || !paused.isEmpty) && roll < 15 + 15 * (down.count + paused.count) {
            if !down.isEmpty && (paused.isEmpty || below(2) == 0) {
                try cluster.restart(down[below(down.count)])
                counts[.restart, default: 0] += 1
            } else {
                try cluster.resume(paused[below(paused.count)])
                counts[.resume, default: 0] += 1
            }
            return
        }
        let tolerable = (ids.count - 1) / 2
        switch below(10) {
        case 0 where !running.isEmpty && down.count + paused.count < tolerable + 1:
            try cluster.crash(running[below(running.count)])
            counts[.crash, default: 0] += 1
        case 1 where !running.isEmpty && down.count + paused.count < tolerable + 1:
            try cluster.pause(running[below(running.count)])
            counts[.pause, default: 0] += 1
        case 2:
            var shuffled = ids
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, below(i + 1)) }
            let cut = 1 + below(ids.count - 1)
            cluster.partition([Array(shuffled[..<cut]), Array(shuffled[cut...])])
            counts[.partition, default: 0] += 1
        case 3:
            if let leader = cluster.leader {
                cluster.isolate(leader)
                counts[.isolateLeader, default: 0] += 1
            }
        case 4, 5:
            cluster.heal()
            counts[.heal, default: 0] += 1
        case 6:
            changeNetwork(of: cluster)
        case 7:
            try cluster.transferLeadership(to: ids[below(ids.count)])
            counts[.leaderTransfer, default: 0] += 1
        case 8:
            try slowDisk(in: cluster)
        case 9 where membershipChanges:
            changeMembership(of: cluster)
        default:
            break
        }
    }

    private mutating func changeNetwork(of cluster: Cluster) {
        var settings = Self.calm
        switch below(4) {
        case 0:
            settings.lossRate = [0.02, 0.1, 0.3][below(3)]
            counts[.messageLoss, default: 0] += 1
        case 1:
            settings.duplicateRate = [0.05, 0.2][below(2)]
            counts[.messageDuplication, default: 0] += 1
        case 2:
            settings.latencyMicros = [2_000, 20_000][below(2)]
            settings.jitterMicros = [5_000, 60_000][below(2)]
            counts[.messageDelay, default: 0] += 1
        default:
            break
        }
        cluster.setNetwork(settings)
    }

    /// Slows the leader's disk or any member's for 0.3 to 3 s: 20, 100 or 400 ms a sync,
    /// steady or with up to as much again of jitter.
    private mutating func slowDisk(in cluster: Cluster) throws {
        let ids = cluster.ids
        let anyMember = ids[below(ids.count)]
        let member = below(2) == 0 ? (cluster.leader ?? anyMember) : anyMember
        let latencyMillis = UInt64([20, 100, 400][below(3)])
        let jitterMillis = below(2) == 0 ? 0 : latencyMillis
        let durationMillis = UInt64(300 + below(2_700))
        try cluster.slowDisk(member, latencyNanos: latencyMillis * 1_000_000, jitterNanos: jitterMillis * 1_000_000,
                             durationNanos: durationMillis * 1_000_000, seed: random.next())
        counts[.slowDisk, default: 0] += 1
    }

    /// One membership change through Raft: the learner promoted if there is one, else a learner
    /// added (up to five members), else a follower removed (down to three voters).
    private mutating func changeMembership(of cluster: Cluster) {
        guard let membership = cluster.membership else { return }
        if let learner = membership.sorted.first(where: \.isLearner) {
            cluster.promoteMember(learner.id) { _ in }
            counts[.memberPromote, default: 0] += 1
        } else if cluster.ids.count < Self.membersMax && below(2) == 0 {
            cluster.addMember(isLearner: true) { _ in }
            counts[.memberAdd, default: 0] += 1
        } else if membership.voters.count > Self.votersMin {
            let followers = membership.voters.map(\.id).filter { $0 != cluster.leader }
            guard !followers.isEmpty else { return }
            cluster.removeMember(followers[below(followers.count)]) { _ in }
            counts[.memberRemove, default: 0] += 1
        }
    }

    static let membersMax = 5
    static let votersMin = 3

    /// A LAN: a fraction of a millisecond, a little jitter, nothing lost.
    static let calm = SimulatedNetwork.Settings(latencyMicros: 300, jitterMicros: 1000)

    /// Ends the faults: every member up, the network whole and calm, the disks fast.
    static func heal(_ cluster: Cluster) throws {
        cluster.heal()
        cluster.setNetwork(calm)
        cluster.restoreDiskSpeed()
        for id in cluster.ids {
            try cluster.resume(id)
            try cluster.restart(id)
        }
    }
}
