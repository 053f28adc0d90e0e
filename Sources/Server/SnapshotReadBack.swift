import Dispatch
import Locking
import Raft

/// Reads a saved snapshot's data back for the leader to send to a follower that fell behind,
/// without the raft lock held over the read. Raft asks for the snapshot under that lock; the
/// first ask starts reading the file on a queue of its own and answers nil (Raft's "temporarily
/// unavailable": the leader tries again at its next heartbeat), and the ask after the read
/// finished takes the bytes, which are then held only by the message being sent. A snapshot
/// read for a position that has since been replaced is dropped, not sent.
///
/// In simulated time (`inBackground` false) the read happens at once, on the caller's thread,
/// so a seeded run stays the same run.
final class SnapshotReadBack: Sendable {
    private enum State {
        case idle
        case reading(SnapshotMetadata)
        case read(SnapshotMetadata, [UInt8])
    }

    private let persistence: any RaftPersistence
    private let inBackground: Bool
    private let queue = DispatchQueue(label: "rafttop.snapshot-read-back")
    private let state = Locked<State>(.idle)
    /// How long read bytes wait to be taken before they are let go.
    static let keepSeconds = 30

    init(persistence: any RaftPersistence, inBackground: Bool) {
        self.persistence = persistence
        self.inBackground = inBackground
    }

    /// The data of the snapshot at `metadata`, if it has been read; otherwise starts reading it.
    func data(for metadata: SnapshotMetadata) -> [UInt8]? {
        guard inBackground else { return persistence.loadSnapshotData(metadata) }
        enum Next {
            case hand([UInt8])
            case wait
            case read
        }
        let next = state.withLock { state -> Next in
            switch state {
            case .read(let ready, let data) where ready == metadata:
                state = .idle
                return .hand(data)
            case .reading(let pending) where pending == metadata:
                return .wait
            default:
                // Nothing read yet, or another position's bytes, which are no longer wanted.
                state = .reading(metadata)
                return .read
            }
        }
        switch next {
        case .hand(let data):
            return data
        case .wait:
            return nil
        case .read:
            queue.async { [self] in
                let data = persistence.loadSnapshotData(metadata)
                state.withLock { state in
                    guard case .reading(let pending) = state, pending == metadata else { return }
                    state = data.map { .read(metadata, $0) } ?? .idle
                }
                // Bytes nobody comes back for (the follower caught up, or this member is no
                // longer leader) are not held for good.
                queue.asyncAfter(deadline: .now() + .seconds(Self.keepSeconds)) { [self] in
                    state.withLock { state in
                        if case .read(let ready, _) = state, ready == metadata { state = .idle }
                    }
                }
            }
            return nil
        }
    }

    /// Whether a read is under way or its bytes wait to be taken (for tests).
    var isHolding: Bool {
        state.withLock { if case .idle = $0 { false } else { true } }
    }
}
