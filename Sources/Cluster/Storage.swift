import Raft
import Server
import WAL

extension ClusterConfig {
    /// Every member's WAL and snapshots under `directory` on the real file system:
    /// `<directory>/member-N/wal` and `<directory>/member-N/snap`.
    public mutating func storeOnDisk(in directory: String) {
        dataDirectory = directory
        let clusterID = Self.clusterID(memberCount: memberCount)
        makePersistence = { id, _ in
            WALPersistence(fs: PosixFileSystem(), directory: "\(directory)/member-\(id)", memberID: id, clusterID: clusterID)
        }
    }

    /// Every member on its own simulated disk, whose crash loses or tears unsynced writes as
    /// `seed` decides, and which reads the cluster's clock (see `Cluster.slowDisk`).
    public mutating func storeOnSimulatedDisks(seed: UInt64) {
        dataDirectory = nil
        let clusterID = Self.clusterID(memberCount: memberCount)
        makePersistence = { id, clock in
            SimulatedDiskPersistence(memberID: id, clusterID: clusterID, seed: seed &+ id, clockNanos: { clock.nowNanos() })
        }
    }

    static func clusterID(memberCount: Int) -> UInt64 {
        0x7261_6674_0000 | UInt64(memberCount)
    }
}

extension Cluster {
    /// A slow disk for member `id`, on simulated disks: for `durationNanos` of simulated time
    /// each sync takes `latencyNanos` plus up to `jitterNanos` more (drawn from `seed`), and the
    /// member's raft loop waits for each write as it would wait in fsync. Then the disk is fast
    /// again, once the syncs already issued have completed.
    public func slowDisk(_ id: NodeID, latencyNanos: UInt64, jitterNanos: UInt64, durationNanos: UInt64,
                         seed: UInt64) throws {
        guard ids.contains(id) else { throw ClusterError.unknownMember(id) }
        guard let disk = (persistences.withLock { $0[id] } as? SimulatedDiskPersistence)?.disk else {
            throw ClusterError.notOnSimulatedDisks
        }
        let now = clock.nowNanos()
        disk.slowSyncs(latencyNanos: latencyNanos, jitterNanos: jitterNanos, untilNanos: now + durationNanos, seed: seed)
        state.withLock { s in
            s.events.append(ClusterEvent(atNanos: now, kind: .note(
                "member \(id)'s disk slowed to \(latencyNanos / 1_000_000)+\(jitterNanos / 1_000_000) ms a sync for \(durationNanos / 1_000_000) ms")))
        }
    }

    /// Makes every simulated disk fast again (syncs already issued still take their time).
    public func restoreDiskSpeed() {
        for persistence in persistences.withLock({ Array($0.values) }) {
            (persistence as? SimulatedDiskPersistence)?.disk.restoreSyncSpeed()
        }
    }
}
