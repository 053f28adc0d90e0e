import Raft
import Server
import WAL

extension ClusterConfig {
    /// Every member's WAL and snapshots under `directory` on the real file system:
    /// `<directory>/member-N/wal` and `<directory>/member-N/snap`.
    public mutating func storeOnDisk(in directory: String) {
        dataDirectory = directory
        let clusterID = Self.clusterID(memberCount: memberCount)
        makePersistence = { id in
            WALPersistence(fs: PosixFileSystem(), directory: "\(directory)/member-\(id)", memberID: id, clusterID: clusterID)
        }
    }

    /// Every member on its own simulated disk, whose crash loses or tears unsynced writes as
    /// `seed` decides; fsync times come from `clockNanos`.
    public mutating func storeOnSimulatedDisks(seed: UInt64, clockNanos: @escaping @Sendable () -> UInt64 = { 0 }) {
        dataDirectory = nil
        let clusterID = Self.clusterID(memberCount: memberCount)
        makePersistence = { id in
            SimulatedDiskPersistence(memberID: id, clusterID: clusterID, seed: seed &+ id, clockNanos: clockNanos)
        }
    }

    static func clusterID(memberCount: Int) -> UInt64 {
        0x7261_6674_0000 | UInt64(memberCount)
    }
}
