/// Where a member's Raft timers stand, in ticks, read-only: what etcd/raft keeps as
/// `electionElapsed`, `randomizedElectionTimeout` and `heartbeatElapsed`. A follower or candidate
/// campaigns when `electionElapsed` reaches `randomizedElectionTimeout`; a leader sends
/// heartbeats each time `heartbeatElapsed` reaches `heartbeatTimeout`. Shown so an election can
/// be watched coming.
public struct ElectionTimer: Sendable, Hashable {
    /// Ticks since the election timer was last reset (a leader: since its last CheckQuorum).
    public var electionElapsed: Int = 0
    /// This term's timeout, drawn from [electionTimeout, 2 x electionTimeout).
    public var randomizedElectionTimeout: Int = 0
    /// A leader's ticks since its last heartbeat.
    public var heartbeatElapsed: Int = 0
    public var heartbeatTimeout: Int = 0

    public init(electionElapsed: Int = 0, randomizedElectionTimeout: Int = 0, heartbeatElapsed: Int = 0, heartbeatTimeout: Int = 0) {
        self.electionElapsed = electionElapsed
        self.randomizedElectionTimeout = randomizedElectionTimeout
        self.heartbeatElapsed = heartbeatElapsed
        self.heartbeatTimeout = heartbeatTimeout
    }
}
