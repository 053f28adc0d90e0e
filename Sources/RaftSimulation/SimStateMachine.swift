import Raft

/// The application a simulated member runs: it folds every applied entry into a digest, so two
/// members that applied the same entries hold the same digest, and a snapshot of it is just the
/// pair (index, digest).
struct SimStateMachine: Hashable {
    private(set) var appliedIndex: UInt64 = 0
    private(set) var digest: UInt64 = 0

    init() {}

    /// The state a snapshot holds; an empty snapshot is the state before any entry.
    init(snapshot: Snapshot) {
        appliedIndex = snapshot.metadata.index
        digest = snapshot.data.count == 8 ? Self.decodeUInt64(snapshot.data) : 0
    }

    /// Applies the next entry; the caller keeps entries in order.
    mutating func apply(_ entry: Entry) {
        digest = Self.fold(digest, entry)
        appliedIndex = entry.index
    }

    /// The bytes to put in a snapshot of this state.
    var snapshotData: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: digest >> UInt64(8 * $0)) }
    }

    /// FNV-1a over the previous digest and the entry: a stable function, unlike `Hasher`, whose
    /// seed changes from one process to the next.
    static func fold(_ previous: UInt64, _ entry: Entry) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        func mix64(_ value: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
        }
        mix64(previous)
        mix64(entry.index)
        mix64(entry.term)
        mix(entry.type.rawValue)
        for byte in entry.data { mix(byte) }
        return hash
    }

    private static func decodeUInt64(_ bytes: [UInt8]) -> UInt64 {
        bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
    }
}
