/// The parameters of one Raft member. Times are in ticks: the application calls `tick()` at a
/// fixed rate (etcd: every 100 ms, with an election timeout of 10 ticks and a heartbeat of 1).
public struct Config: Sendable {
    /// This member's id, never 0.
    public var id: NodeID
    /// A follower that hears no leader for a random time in [electionTick, 2 x electionTick)
    /// ticks starts an election.
    public var electionTick: Int = 10
    /// A leader sends heartbeats every `heartbeatTick` ticks.
    public var heartbeatTick: Int = 1
    /// The last index already applied, on restart; entries up to it are not handed out again.
    public var applied: UInt64 = 0
    /// The largest MsgApp, in bytes of entries (at least one entry is always sent).
    public var maxSizePerMsg: UInt64 = 1 << 20
    /// The most committed entries, in bytes, handed out in one `Ready`.
    public var maxCommittedSizePerReady: UInt64 = 64 << 20
    /// A leader refuses proposals once this many bytes of entry payloads are uncommitted; 0: no limit.
    public var maxUncommittedEntriesSize: UInt64 = 0
    /// How many MsgApps may be unacknowledged to one follower in replicate state.
    public var maxInflightMsgs: Int = 256
    /// The bytes of entries that may be unacknowledged to one follower; 0: no limit.
    public var maxInflightBytes: UInt64 = 0
    /// A leader that hears from no quorum for an election timeout steps down, and a member
    /// that hears from a leader ignores votes until its election timeout passes.
    public var checkQuorum: Bool = false
    /// Candidates first ask whether they could win, without raising any term (§9.6 of the thesis).
    public var preVote: Bool = false
    /// Followers refuse proposals instead of forwarding them to the leader.
    public var disableProposalForwarding: Bool = false
    /// Seeds the randomized election timeout, so a run can be replayed.
    public var randomSeed: UInt64
    /// A deliberate bug, for the simulation's test that its checker catches it: the leader
    /// counts its own entries toward the quorum as it appends them, before they are persisted
    /// (what this core did before etcd-io/raft's rule). Never set outside that test.
    package var countsUnpersistedSelfAck = false

    public init(id: NodeID, randomSeed: UInt64? = nil) {
        self.id = id
        // A multiple of SplitMix64's own increment would make the sequence of member id + 1 the
        // sequence of member id shifted by one draw, so members would often pick the same
        // election timeout and split the vote. Scrambling the id gives unrelated sequences.
        var scrambler = SplitMix64(seed: id)
        self.randomSeed = randomSeed ?? scrambler.next()
    }

    func validate() throws(RaftError) {
        if id == noNode { throw .invalidConfig("id must not be 0") }
        if heartbeatTick <= 0 { throw .invalidConfig("heartbeatTick must be greater than 0") }
        if electionTick <= heartbeatTick { throw .invalidConfig("electionTick must be greater than heartbeatTick") }
        if maxInflightMsgs <= 0 { throw .invalidConfig("maxInflightMsgs must be greater than 0") }
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same timeouts.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
