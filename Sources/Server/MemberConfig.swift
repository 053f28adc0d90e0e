import Raft

/// How one member runs. Defaults are etcd's.
public struct MemberConfig: Sendable {
    public var id: NodeID
    /// The voters of a new cluster; ignored when the member restarts from its data.
    public var peers: [NodeID]
    /// The length of a Raft tick (etcd's heartbeat interval, 100 ms).
    public var tickNanos: UInt64 = 100_000_000
    /// Ticks without a leader before an election (etcd: 1,000 ms).
    public var electionTicks: Int = 10
    public var heartbeatTicks: Int = 1
    /// Requests larger than this, encoded, are refused (etcd: 1.5 MiB).
    public var maxRequestBytes: Int = MemberConfig.etcdMaxRequestBytes
    /// etcd's `--max-request-bytes` default.
    public static let etcdMaxRequestBytes = 1_572_864
    /// Proposals are refused while committed entries are this far ahead of applied ones.
    public var maxGapBetweenApplyAndCommit: UInt64 = 5000
    /// Take a snapshot after this many applied entries (etcd: 100,000).
    public var snapshotCount: UInt64 = 100_000
    /// Encode and save snapshots on a thread of their own, so applying goes on meanwhile (etcd
    /// saves its snapshot in a goroutine too). Off, the apply loop does it in line, which is what
    /// the deterministic simulation needs.
    public var snapshotsInBackground = false
    /// Called first on the thread that saves a snapshot in the background: the cluster's CPU
    /// packing gives that thread every CPU back, which it would not have if a packed member
    /// thread made the system start it.
    public var backgroundThreadStarted: (@Sendable () -> Void)?
    /// Let the raft loop apply a Ready's committed entries itself when it has nothing to write
    /// and the apply loop has nothing queued, saving the apply loop's wake-up on the way to the
    /// client (real time sets it; the step-by-step drivers leave applying to `applyCycle()`).
    public var applyInRaftLoopWhenQuiet = false
    /// Entries kept in the log after a snapshot, so slow followers catch up without one (etcd: 5,000).
    public var snapshotCatchUpEntries: UInt64 = 5000
    /// The leader compacts the store's history to keep this many revisions (etcd's
    /// `--auto-compaction-mode=revision`), so memory stays flat under load; 0 turns it off.
    public var autoCompactionRetention: Int64 = 10_000
    public var maxSizePerMsg: UInt64 = 1 << 20
    public var maxInflightMsgs: Int = 512
    public var preVote: Bool = true
    public var checkQuorum: Bool = true
    /// The extra time a request waits beyond two election timeouts (etcd: 5 s).
    public var requestTimeoutBaseNanos: UInt64 = 5_000_000_000
    /// Seeds Raft's election timeouts; the simulator sets it so runs replay.
    public var randomSeed: UInt64?
    /// Told of every entry this member applies, in order: checks use it to compare members.
    public var applyObserver: (@Sendable (NodeID, Entry) -> Void)?
    /// Test-only sabotage, for showing that `rafttop check` notices: answer linearizable reads
    /// from the local store without ReadIndex, so a lagging or deposed member serves stale reads.
    public var unsafeLocalReads = false
    /// Tokens and the wrong-password limiter; members of one process share one (see `AuthSessions`).
    public var authSessions = AuthSessions()
    /// PBKDF2-HMAC-SHA256 rounds for passwords hashed on this member, stored with each hash
    /// (like etcd's `--bcrypt-cost`); a hash with fewer is hashed again on its next login.
    /// Within `PasswordHash.configurableRounds` (tests lower it: debug builds hash slowly).
    public var passwordHashRounds = PasswordHash.defaultRounds
    /// etcd's `--quota-backend-bytes`: past it, writes that add data raise the NOSPACE alarm.
    public var spaceQuota = SpaceQuota()
    /// How many times a request is proposed again after its apply answered "auth revision old".
    public var maxAuthRetries = 8

    /// The members a new cluster starts with, named and with their URLs: written into the
    /// bootstrap entries, as etcd writes its initial cluster. Empty: members named after their id.
    public var initialMembers: [MemberInfo] = []
    /// A member added to a running cluster starts empty and learns everything, the
    /// configuration included, from the leader (etcd's `--initial-cluster-state=existing`).
    public var joinsExistingCluster = false

    public init(id: NodeID, peers: [NodeID]) {
        self.id = id
        self.peers = peers
    }

    /// The bootstrap entries' contexts: each initial member's attributes.
    var bootstrapContexts: [NodeID: [UInt8]] {
        Dictionary(uniqueKeysWithValues: initialMembers.map { ($0.id, ConfChangeContext(requestID: 0, member: $0).encoded()) })
    }

    public var electionTimeoutNanos: UInt64 { tickNanos * UInt64(electionTicks) }

    /// etcd's ReqTimeout: 5 s plus two election timeouts.
    public var requestTimeoutNanos: UInt64 { requestTimeoutBaseNanos + 2 * electionTimeoutNanos }

    func raftConfig(applied: UInt64) -> Config {
        var c = Config(id: id, randomSeed: randomSeed)
        c.electionTick = electionTicks
        c.heartbeatTick = heartbeatTicks
        c.applied = applied
        c.maxSizePerMsg = maxSizePerMsg
        c.maxInflightMsgs = maxInflightMsgs
        c.preVote = preVote
        c.checkQuorum = checkQuorum
        c.maxUncommittedEntriesSize = 1 << 30
        return c
    }
}
