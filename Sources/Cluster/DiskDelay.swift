#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Locking
import Raft
import Server
import Synchronization

/// A member's disk made slower by a set delay (`:disk N MS`): every save that must sync takes
/// `delayNanos` more, as a slow fsync would. Wraps whatever persistence the member has (real
/// files, memory, a simulated disk), so the delay works with every storage option.
///
/// In real time the member's raft thread sleeps in its persist step, as it would block in
/// fdatasync. Simulated, the save returns at once and is durable `delayNanos` later in
/// simulated time (`durableAtNanos`): the member's raft loop waits for it as for a slow
/// simulated disk, and the simulator runs the rest of the cluster meanwhile.
final class DelayedPersistence: RaftPersistence {
    let inner: any RaftPersistence
    private let clock: any MonotonicClock
    private let simulated: Bool
    private let delay = Atomic<UInt64>(0)
    /// Simulated: when the newest delayed sync completes; syncs complete in the order issued.
    private let delayedUntilNanos = Locked<UInt64>(0)

    init(_ inner: any RaftPersistence, clock: any MonotonicClock, simulated: Bool) {
        self.inner = inner
        self.clock = clock
        self.simulated = simulated
    }

    var delayNanos: UInt64 {
        get { delay.load(ordering: .relaxed) }
        set { delay.store(newValue, ordering: .relaxed) }
    }

    func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws -> UInt64 {
        let fsyncNanos = try inner.save(hardState: hardState, entries: entries, mustSync: mustSync)
        let extra = delayNanos
        guard mustSync, extra > 0 else { return fsyncNanos }
        if simulated {
            let now = clock.nowNanos()
            delayedUntilNanos.withLock { $0 = max($0, now) + extra }
            return fsyncNanos
        }
        var request = timespec(tv_sec: Int(extra / 1_000_000_000), tv_nsec: Int(extra % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
        return fsyncNanos + extra
    }

    func saveSnapshot(_ snapshot: Snapshot) throws { try inner.saveSnapshot(snapshot) }

    func saveSnapshot(_ metadata: SnapshotMetadata, dataBytes: Int,
                      write: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        try inner.saveSnapshot(metadata, dataBytes: dataBytes, write: write)
    }

    func loadSnapshotData(_ metadata: SnapshotMetadata) -> [UInt8]? { inner.loadSnapshotData(metadata) }

    func load() throws -> RecoveredState { try inner.load() }

    func close() { inner.close() }

    func durableAtNanos() -> UInt64? {
        let own = delayedUntilNanos.withLock { $0 }
        let theirs = inner.durableAtNanos()
        let latest = max(own, theirs ?? 0)
        return latest > clock.nowNanos() ? latest : theirs
    }

    /// The member crashed: a sync it was waiting for will never complete.
    func forgetPendingSyncs() {
        delayedUntilNanos.withLock { $0 = 0 }
    }
}

extension Cluster {
    /// The longest delay `setDiskDelay` accepts: longer would stall a member past every timeout.
    public static let diskDelayNanosMax: UInt64 = 10_000_000_000

    /// Makes every WAL fsync of member `id` take `nanos` longer (0 restores its disk): real
    /// time in real time, simulated time in simulation. Syncs already issued keep their time.
    public func setDiskDelay(_ id: NodeID, nanos: UInt64) throws {
        guard ids.contains(id) else { throw ClusterError.unknownMember(id) }
        guard nanos <= Self.diskDelayNanosMax else { throw ClusterError.diskDelayTooLong(nanos) }
        try delayedPersistence(of: id).delayNanos = nanos
        let text = nanos == 0 ? "member \(id)'s disk restored" : "member \(id)'s disk slowed: every fsync takes \(nanos / 1_000_000) ms more"
        state.withLock { $0.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .note(text))) }
    }

    /// The extra time every fsync of member `id` takes; 0 when its disk is not slowed.
    public func diskDelayNanos(_ id: NodeID) -> UInt64 {
        delayedPersistences.withLock { $0[id] }?.delayNanos ?? 0
    }

    /// What a member saves through: its persistence behind the delay `setDiskDelay` sets.
    func delayedPersistence(of id: NodeID) throws -> DelayedPersistence {
        if let made = delayedPersistences.withLock({ $0[id] }) { return made }
        let made = DelayedPersistence(try persistence(of: id), clock: clock, simulated: isSimulated)
        delayedPersistences.withLock { $0[id] = made }
        return made
    }
}
