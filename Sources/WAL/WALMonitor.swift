import Locking
import Raft

/// Figures about a WAL's writes, for a UI to show.
public struct WALStats: Sendable, Hashable {
    public var fsyncCount = 0
    public var fsyncMicrosLast: UInt64 = 0
    public var fsyncMicrosTotal: UInt64 = 0
    public var bytesWritten = 0
    /// The index of the last entry written.
    public var lastIndex: UInt64 = 0
    public var segmentCount = 0

    public init() {}
}

/// A record recently written, as a UI lists it.
public struct WALRecordSummary: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case entry(EntryType)
        case hardState(commit: UInt64, vote: NodeID)
        case snapshot
    }

    public var kind: Kind
    public var index: UInt64
    public var term: UInt64
    /// Bytes the record takes in the segment, framing and padding included.
    public var sizeBytes: Int

    public init(kind: Kind, index: UInt64, term: UInt64, sizeBytes: Int) {
        self.kind = kind
        self.index = index
        self.term = term
        self.sizeBytes = sizeBytes
    }
}

/// What a live WAL has done lately, readable from any thread while the owner writes:
/// the stats and a bounded tail of the newest records.
public final class WALMonitor: Sendable {
    struct State {
        var stats = WALStats()
        /// A ring of the newest records; `next` is where the next one goes.
        var tail: [WALRecordSummary] = []
        var next = 0
    }

    /// How many recent records are kept.
    public let tailCapacity: Int
    private let state = Locked(State())

    public init(tailCapacity: Int) {
        precondition(tailCapacity > 0, "tail capacity must be positive")
        self.tailCapacity = tailCapacity
    }

    public var stats: WALStats {
        state.withLock { $0.stats }
    }

    /// The newest `count` records written, oldest first.
    public func recent(_ count: Int) -> [WALRecordSummary] {
        state.withLock { s in
            let available = min(count, s.tail.count)
            guard s.tail.count == tailCapacity else { return Array(s.tail.suffix(available)) }
            return (0..<available).map { s.tail[(s.next - available + $0 + tailCapacity) % tailCapacity] }
        }
    }

    /// Records one batch of writes: called once per save, so the lock is taken once.
    func record(_ summaries: some Collection<WALRecordSummary>, update: (inout WALStats) -> Void) {
        state.withLock { s in
            update(&s.stats)
            for summary in summaries.suffix(tailCapacity) {
                if s.tail.count < tailCapacity {
                    s.tail.append(summary)
                } else {
                    s.tail[s.next] = summary
                }
                s.next = (s.next + 1) % tailCapacity
            }
        }
    }
}
