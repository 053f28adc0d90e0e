import Raft

/// One entry of a member's log as the UI shows it.
public struct LogEntryView: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// A request from a client.
        case request
        /// A new leader's empty entry.
        case empty
        case confChange
    }

    public var index: UInt64
    public var term: UInt64
    public var kind: Kind
    public var summary: String
    public var sizeBytes: Int

    public init(index: UInt64, term: UInt64, kind: Kind, summary: String, sizeBytes: Int) {
        self.index = index
        self.term = term
        self.kind = kind
        self.summary = summary
        self.sizeBytes = sizeBytes
    }
}

extension LogEntryView {
    public init(_ entry: Entry) {
        index = entry.index
        term = entry.term
        sizeBytes = entry.data.count
        switch entry.type {
        case .confChange:
            kind = .confChange
            if let change = try? ConfChange(decoding: entry.data) {
                summary = switch change.kind {
                case .addNode: "add member \(change.nodeID)"
                case .addLearnerNode: "add learner \(change.nodeID)"
                case .removeNode: "remove member \(change.nodeID)"
                case .updateNode: "update member \(change.nodeID)"
                }
            } else {
                summary = "conf change (\(entry.data.count) B, undecodable)"
            }
        case .normal where entry.data.isEmpty:
            kind = .empty
            summary = "(empty: new leader)"
        case .normal:
            kind = .request
            summary = (try? InternalRequest(decoding: entry.data).summary) ?? "\(entry.data.count) B, undecodable"
        }
    }
}

extension Member {
    /// The newest `count` entries of this member's log, oldest first: those it has persisted,
    /// then those written to its WAL whose fsync has not finished (a slow disk's Ready in flight).
    public func recentLogEntries(_ count: Int) -> [LogEntryView] {
        recentLog(count).entries
    }

    /// `recentLogEntries` and the highest index among them that is durable, read together. The
    /// durable index is the one the raft loop records once a write's fsync has returned (a slow
    /// simulated disk can hold that back after the entries reached the raft storage), never above
    /// the storage's last index nor into a write still in flight.
    public func recentLog(_ count: Int) -> (entries: [LogEntryView], durableIndex: UInt64) {
        let writing = syncing.withLock { $0?.ready.entries ?? [] }
        let (persisted, storedLast): ([LogEntryView], UInt64) = raft.withLock { side in
            let last = side.storage.lastIndex()
            let first = side.storage.firstIndex()
            guard last >= first, count > 0 else { return ([], last) }
            let lo = max(first, last >= UInt64(count) ? last - UInt64(count) + 1 : 1)
            let entries = (try? side.storage.entries(lo, last + 1, maxSizeBytes: .max)) ?? []
            return (entries.map(LogEntryView.init), last)
        }
        let durable = min(durableIndex, storedLast)
        // A write in flight may overwrite a persisted tail (a new leader's entries): it wins.
        guard let firstWritten = writing.first?.index, firstWritten > 0 else { return (persisted, durable) }
        let kept = persisted.filter { $0.index < firstWritten }
        return (Array((kept + writing.map(LogEntryView.init)).suffix(count)), min(durable, firstWritten - 1))
    }
}
