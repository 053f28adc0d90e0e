import Raft
import Server
import WAL

/// Why a data directory cannot be made from a snapshot.
public enum RestoreError: Error, Sendable, CustomStringConvertible {
    case memberDataExists(String)

    public var description: String {
        switch self {
        case .memberDataExists(let directory):
            "\(directory) already holds member data: restore into a new or empty directory"
        }
    }
}

extension ClusterConfig {
    /// Writes a data directory from which a cluster of `memberCount` members starts holding
    /// `contents` (etcd's `snapshot restore`): for each member, `member-N/snap` with the Raft
    /// snapshot of the state and `member-N/wal` with a new log that marks it and commits through it.
    /// `rafttop serve --data-dir` (with the same `--members`) then starts from it as from its own data.
    public static func restoreDataDirectory(_ directory: String, memberCount: Int, from contents: SnapshotContents) throws {
        precondition(memberRange.contains(memberCount), "\(memberCount) members is outside \(memberRange)")
        let fs = PosixFileSystem()
        let ids = (1...memberCount).map { NodeID($0) }
        for id in ids {
            let memberDirectory = "\(directory)/member-\(id)"
            if fs.exists(memberDirectory), !(try fs.list(memberDirectory)).isEmpty {
                throw RestoreError.memberDataExists(memberDirectory)
            }
        }
        let snapshot = contents.raftSnapshot(voters: ids)
        for id in ids {
            let persistence = WALPersistence(fs: fs, directory: "\(directory)/member-\(id)", memberID: id,
                                             clusterID: clusterID(memberCount: memberCount))
            defer { persistence.close() }
            _ = try persistence.load()
            try persistence.saveSnapshot(snapshot)
            _ = try persistence.save(hardState: HardState(term: snapshot.metadata.term, commit: snapshot.metadata.index),
                                     entries: [], mustSync: true)
        }
    }
}
