import Server

/// One entry of a member's log as the WAL pane lists it: where it sits, what kind it is, and a
/// one-line summary of what it asks.
public struct WALEntryView: Sendable, Hashable {
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

    /// The entry as the member summarised it, in the cluster's vocabulary.
    public init(_ entry: LogEntryView) {
        let kind: Kind = switch entry.kind {
        case .request: .request
        case .empty: .empty
        case .confChange: .confChange
        }
        self.init(index: entry.index, term: entry.term, kind: kind, summary: entry.summary, sizeBytes: entry.sizeBytes)
    }
}
