/// How the leader is replicating to a follower.
public enum ProgressState: String, Sendable, Hashable, CustomStringConvertible {
    /// The leader does not know where the follower's log matches: it sends one MsgApp at a
    /// time and waits for the answer.
    case probe
    /// The follower's log matches up to `match`: MsgApps stream out within the inflight window.
    case replicate
    /// The follower is behind the leader's first index and is being sent a snapshot.
    case snapshot

    public var description: String { rawValue }
}

/// What a leader knows about one follower's log (etcd's tracker.Progress).
/// Invariant: match < next.
struct Progress {
    /// The highest index known to be in the follower's log.
    private(set) var match: UInt64 = 0
    /// The index of the next entry to send.
    private(set) var next: UInt64
    private(set) var state: ProgressState = .probe
    /// The index of the snapshot being sent, while in `.snapshot`.
    var pendingSnapshot: UInt64 = 0
    /// Whether the follower was heard from since the last CheckQuorum.
    var recentActive = false
    /// A learner receives the log like a voter but never counts in a quorum.
    var isLearner = false
    /// In probe state, a MsgApp is out and unanswered; in replicate state, the window is full.
    var msgAppFlowPaused = false
    var inflights: Inflights

    init(next: UInt64, maxInflight: Int, maxInflightBytes: UInt64) {
        self.next = next
        inflights = Inflights(capacity: maxInflight, maxBytes: maxInflightBytes)
    }

    var isPaused: Bool {
        switch state {
        case .probe, .replicate: msgAppFlowPaused
        case .snapshot: true
        }
    }

    private mutating func resetState(_ newState: ProgressState) {
        msgAppFlowPaused = false
        pendingSnapshot = 0
        state = newState
        inflights.reset()
    }

    mutating func becomeProbe() {
        // After a snapshot the follower has at least the snapshot's index.
        let floor = state == .snapshot ? max(match, pendingSnapshot) : match
        resetState(.probe)
        next = floor + 1
    }

    mutating func becomeReplicate() {
        resetState(.replicate)
        next = match + 1
    }

    mutating func becomeSnapshot(index: UInt64) {
        resetState(.snapshot)
        pendingSnapshot = index
        next = index + 1
    }

    /// A member's own progress when its log is reset (a new term, a restored snapshot): all it
    /// holds so far. On a new leader these are entries of earlier terms, which its counting
    /// never commits (§5.4.2); entries it appends count once persisted.
    mutating func setLeaderMatch(_ index: UInt64) {
        match = index
        next = index + 1
    }

    /// A MsgApp carrying `entries` entries of `bytes` bytes went out.
    mutating func sentEntries(_ entries: Int, bytes: UInt64) {
        switch state {
        case .replicate:
            if entries > 0 {
                next += UInt64(entries)
                inflights.add(index: next - 1, bytes: bytes)
            }
            msgAppFlowPaused = inflights.isFull
        case .probe:
            if entries > 0 { msgAppFlowPaused = true }
        case .snapshot:
            preconditionFailure("sending entries to a follower that is being sent a snapshot")
        }
    }

    /// The follower acknowledged `index`. Returns whether `match` moved.
    mutating func maybeUpdate(_ index: UInt64) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            msgAppFlowPaused = false
        }
        next = max(next, index + 1)
        return updated
    }

    /// The follower rejected a MsgApp whose previous index was `rejected`; `matchHint` is
    /// where its log may match. Returns false for a stale rejection.
    mutating func maybeDecrTo(rejected: UInt64, matchHint: UInt64) -> Bool {
        if state == .replicate {
            // An old, out-of-order rejection: the follower has since matched past it.
            if rejected <= match { return false }
            next = match + 1
            return true
        }
        // In probe state only the answer to the one outstanding probe counts.
        if next - 1 != rejected { return false }
        next = max(min(rejected, matchHint + 1), match + 1)
        msgAppFlowPaused = false
        return true
    }
}
