import ArgumentParser
import Cluster
import Foundation
import Server

/// Where members keep their data: a named directory (kept, and reused so a restart recovers) or a
/// fresh temporary one removed on exit.
struct StorageOptions: ParsableArguments, CustomStringConvertible {
    @Option(name: .customLong("data-dir"), help: "Keep member data here (reused on the next run); default: a temporary directory removed on exit.")
    var dataDirectory: String?

    @Flag(name: .customLong("in-memory"), help: "Keep member data in memory only (no WAL, no fsync).")
    var inMemory = false

    @Option(help: "Past this many bytes of store (Status's dbSize), writes that add data raise the NOSPACE alarm and are refused (etcd's flag; 0: etcd's default, 2 GiB; negative: no quota).")
    var quotaBackendBytes: Int64 = 0

    var description: String {
        inMemory ? "memory (no fsync)" : (dataDirectory.map { "WAL in \($0)" } ?? "WAL in a temporary directory")
    }

    struct Setup {
        var config: ClusterConfig
        /// Where the members' files are; nil in memory.
        var directory: String?
        var cleanUp: () -> Void
    }

    func makeClusterConfig(members: Int, placement: PlacementOptions) throws -> Setup {
        var config = ClusterConfig(memberCount: members, driver: .realTime)
        placement.apply(to: &config)
        config.member.spaceQuota = SpaceQuota(bytes: quotaBackendBytes == 0 ? SpaceQuota.etcdDefaultBytes : quotaBackendBytes)
        if inMemory {
            config.makePersistence = { _, _ in MemoryPersistence() }
            return Setup(config: config, directory: nil, cleanUp: {})
        }
        if let dataDirectory {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            config.storeOnDisk(in: dataDirectory)
            return Setup(config: config, directory: dataDirectory, cleanUp: {})
        }
        let temporary = try makeTemporaryDirectory()
        config.storeOnDisk(in: temporary)
        return Setup(config: config, directory: temporary, cleanUp: { try? FileManager.default.removeItem(atPath: temporary) })
    }

    func validate() throws {
        if inMemory && dataDirectory != nil {
            throw ValidationError("--in-memory and --data-dir cannot be used together")
        }
    }
}

/// A new directory under the system's temporary directory.
func makeTemporaryDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "/rafttop-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
        throw ValidationError("could not create a temporary directory: \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}
