/// Why a proposal was not taken into the log.
public enum ProposalDropReason: Sendable, Hashable, CustomStringConvertible {
    /// No leader is known in the current term, so there is nobody to forward to.
    case noLeader
    /// This member is a follower and proposal forwarding is turned off.
    case forwardingDisabled
    /// The leader is handing leadership over and takes no new proposals meanwhile.
    case leaderTransferInProgress
    /// The leader already holds `maxUncommittedEntriesSize` bytes of uncommitted entries.
    case uncommittedSizeExceeded(limitBytes: UInt64)
    /// This member is not (or no longer) a voter of the group.
    case notInConfiguration
    /// A candidate in the middle of an election takes no proposals.
    case electionInProgress

    public var description: String {
        switch self {
        case .noLeader: "no leader"
        case .forwardingDisabled: "proposal forwarding is disabled on this follower"
        case .leaderTransferInProgress: "leadership transfer in progress"
        case .uncommittedSizeExceeded(let limit): "more than \(limit) bytes of uncommitted entries"
        case .notInConfiguration: "this member is not a voter"
        case .electionInProgress: "an election is in progress"
        }
    }
}

/// Errors from the Raft state machine and its storage.
public enum RaftError: Error, Sendable, Hashable, CustomStringConvertible {
    case proposalDropped(ProposalDropReason)
    /// The requested index is older than the storage's first index.
    case compacted
    /// The requested index is newer than the storage's last index.
    case unavailable
    /// A snapshot older than the one already held.
    case snapshotOutOfDate
    /// The storage is building a snapshot; ask again later.
    case snapshotTemporarilyUnavailable
    /// A message that only a member can generate for itself arrived from outside.
    case localMessageFromPeer(MessageType)
    /// A response from a member that is not in the configuration.
    case peerNotFound(NodeID)
    /// Bytes that do not decode as a `ConfChange`.
    case malformedConfChange(String)
    /// A storage that is not empty cannot be bootstrapped.
    case bootstrapNonEmptyStorage
    /// A `Config` value that cannot work.
    case invalidConfig(String)

    public var description: String {
        switch self {
        case .proposalDropped(let reason): "raft: proposal dropped: \(reason)"
        case .compacted: "raft: requested index is unavailable due to compaction"
        case .unavailable: "raft: requested entry at index is unavailable"
        case .snapshotOutOfDate: "raft: requested index is older than the existing snapshot"
        case .snapshotTemporarilyUnavailable: "raft: snapshot is temporarily unavailable"
        case .localMessageFromPeer(let type): "raft: \(type) is a local message and cannot come from a peer"
        case .peerNotFound(let id): "raft: cannot step a response from unknown member \(id)"
        case .malformedConfChange(let why): "raft: malformed configuration change: \(why)"
        case .bootstrapNonEmptyStorage: "raft: cannot bootstrap a storage that already holds state"
        case .invalidConfig(let why): "raft: invalid config: \(why)"
        }
    }
}
