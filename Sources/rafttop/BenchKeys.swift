import ArgumentParser
import Cluster
import Dispatch
import Foundation
import Raft
import Server
import Synchronization
import WAL

/// `rafttop bench --keys N`: what a store of N distinct keys costs. Loads the keys once each,
/// then reports the puts/s of the load, the process's resident size, the bytes each member keeps
/// on disk, and how long the cluster takes, stopped and started again on the same data
/// directories, to answer its first put (issue 27's measures, beside etcd's benchmark tool).
extension BenchCluster {
    /// More keys than this is a mistake, not a measurement: ten million 256-byte values is
    /// already several GB a member.
    static let keysLimit = 10_000_000

    func validateKeys() throws {
        guard let keys else { return }
        guard (1...Self.keysLimit).contains(keys) else {
            throw ValidationError("--keys must be 1 to \(Self.keysLimit), not \(keys)")
        }
        if endpoints != nil { throw ValidationError("--keys measures an in-process cluster: it cannot be used with --endpoints") }
        if storage.inMemory { throw ValidationError("--keys measures disk and restart: it cannot be used with --in-memory") }
        if rssEvery != nil { throw ValidationError("--keys reports the resident size once, after the load: it cannot be used with --rss-every") }
    }

    func runKeys(_ keys: Int) throws {
        let setup = try storage.makeClusterConfig(members: members, placement: placement)
        defer { setup.cleanUp() }
        guard let directory = setup.directory else { throw ValidationError("--keys needs the members on disk") }

        let load = try loadKeys(keys, config: setup.config)
        let disk = load.ids.map { directoryBytes("\(directory)/member-\($0)") }
        let restart = try timeRestart(setup.config)
        let counts = load.counts
        let result = KeysBenchResult(
            members: members, clients: min(clients, keys), valueSize: valueSize, keys: keys,
            acknowledged: counts.acknowledged, failed: counts.failed, loadSeconds: load.seconds,
            rssBytes: load.rssBytes, diskBytesPerMember: disk, restartSeconds: restart.seconds,
            rssAfterRestartBytes: restart.rssBytes, recoveries: restart.recoveries, storage: storage.description)
        print(json ? try result.json() : result.text)
        if counts.acknowledged != keys {
            throw ValidationError("only \(counts.acknowledged) of \(keys) keys were put (\(counts.failed) failed after retries)")
        }
    }

    /// Loads the keys into a cluster started on `config`, measures the process's resident size,
    /// and stops the cluster; the bench holds none of it once this returns (the process may still:
    /// see `KeysBenchResult.rssAfterRestartBytes`).
    private func loadKeys(_ keys: Int, config: ClusterConfig)
        throws -> (counts: (acknowledged: Int, failed: Int), seconds: Double, rssBytes: Int, ids: [NodeID]) {
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        guard waitUntil(seconds: 15, { cluster.isReady }) else { throw DemoError.noLeader }
        let load = KeyLoad(cluster: cluster, keys: keys, clients: min(clients, keys), valueSize: valueSize)
        let started = monotonicNanos()
        load.start()
        while !load.isFinished { usleep(10_000) }
        let seconds = Double(monotonicNanos() - started) / 1e9
        return (load.counts, seconds, residentBytes() ?? 0, cluster.ids.sorted())
    }

    /// Starts the cluster again on the data it left and times until a put is answered; retries
    /// a put that fails (no leader yet) for up to two minutes. Also the process's resident size
    /// once that put is answered.
    private func timeRestart(_ config: ClusterConfig) throws -> (seconds: Double, rssBytes: Int, recoveries: [Recovery]) {
        let started = monotonicNanos()
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        let deadline = started + 120_000_000_000
        while monotonicNanos() < deadline {
            let answered = DispatchSemaphore(value: 0)
            let succeeded = Atomic<Bool>(false)
            cluster.put(key: Array("bench-keys-restart".utf8), value: Array("1".utf8)) { result in
                if case .success = result { succeeded.store(true, ordering: .relaxed) }
                answered.signal()
            }
            answered.wait()
            if succeeded.load(ordering: .relaxed) {
                let seconds = Double(monotonicNanos() - started) / 1e9
                let rss = residentBytes() ?? 0
                // How each member came back: its replay may end after the first put is answered.
                let members = cluster.ids.sorted().compactMap { cluster.member($0) }
                _ = waitUntil(seconds: 60) { members.allSatisfy { $0.status().recovery.replayNanos != nil } }
                return (seconds, rss, members.map { $0.status().recovery })
            }
            usleep(5_000)
        }
        throw ValidationError("the cluster restarted on \(storage.description) answered no put within 120 s")
    }
}

/// Bytes in the regular files under `path` (a member's WAL segments and snapshots).
func directoryBytes(_ path: String) -> Int {
    guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total = 0
    while walker.nextObject() != nil {
        guard let attributes = walker.fileAttributes, attributes[.type] as? FileAttributeType == .typeRegular else { continue }
        total += (attributes[.size] as? NSNumber)?.intValue ?? 0
    }
    return total
}

/// Puts keys `key-0` … `key-(N-1)` once each through `clients` closed loops, each taking the next
/// key when its last put is answered. A failed put is retried (up to `attemptsPerKey` times), so
/// the store ends with every key unless the cluster keeps refusing.
final class KeyLoad: Sendable {
    static let attemptsPerKey = 5
    let cluster: Cluster
    let keys: Int
    let clients: Int
    let valueSize: Int
    private let nextKey = Atomic<Int>(0)
    private let finishedClients = Atomic<Int>(0)
    private let acknowledged = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)

    init(cluster: Cluster, keys: Int, clients: Int, valueSize: Int) {
        self.cluster = cluster
        self.keys = keys
        self.clients = clients
        self.valueSize = valueSize
    }

    func start() {
        for _ in 0..<clients { takeNext() }
    }

    var isFinished: Bool { finishedClients.load(ordering: .relaxed) == clients }

    /// Keys acknowledged, and keys given up after every attempt failed.
    var counts: (acknowledged: Int, failed: Int) {
        (acknowledged.load(ordering: .relaxed), failed.load(ordering: .relaxed))
    }

    private func takeNext() {
        let index = nextKey.add(1, ordering: .relaxed).oldValue
        guard index < keys else {
            finishedClients.add(1, ordering: .relaxed)
            return
        }
        put(index, attempt: 1)
    }

    private func put(_ index: Int, attempt: Int) {
        cluster.put(key: Array("key-\(index)".utf8), value: LoadGenerator.value(sequence: index, size: valueSize)) { [self] result in
            switch result {
            case .success:
                acknowledged.add(1, ordering: .relaxed)
                takeNext()
            case .failure where attempt < Self.attemptsPerKey:
                // Off this stack, and after a pause: the cluster may be between leaders.
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(10)) { self.put(index, attempt: attempt + 1) }
            case .failure:
                failed.add(1, ordering: .relaxed)
                takeNext()
            }
        }
    }
}

/// What `rafttop bench --keys` reports.
struct KeysBenchResult {
    var members: Int
    var clients: Int
    var valueSize: Int
    var keys: Int
    var acknowledged: Int
    var failed: Int
    var loadSeconds: Double
    /// The whole process: every member lives in it.
    var rssBytes: Int
    var diskBytesPerMember: [Int]
    var restartSeconds: Double
    /// The process once the restarted cluster answered its first put; in one process it counts
    /// whatever the stopped first cluster left behind too.
    var rssAfterRestartBytes: Int
    /// How each member came back from its disk in the restart.
    var recoveries: [Recovery]
    var storage: String

    var putsPerSecond: Double { loadSeconds > 0 ? Double(acknowledged) / loadSeconds : 0 }

    struct JSON: Encodable {
        var members: Int
        var clients: Int
        var valueSize: Int
        var keys: Int
        var putsAcknowledged: Int
        var putsFailed: Int
        var loadSeconds: Double
        var putsPerSecond: Double
        var rssBytes: Int
        var rssBytesPerMember: Int
        var diskBytesPerMember: [Int]
        var restartSeconds: Double
        var rssAfterRestartBytes: Int
        var recovery: [RecoveryJSON]
        var storage: String

        enum CodingKeys: String, CodingKey {
            case members, clients, keys, storage
            case valueSize = "value_size"
            case putsAcknowledged = "puts_acknowledged"
            case putsFailed = "puts_failed"
            case loadSeconds = "load_seconds"
            case putsPerSecond = "puts_per_second"
            case rssBytes = "rss_bytes"
            case rssBytesPerMember = "rss_bytes_per_member"
            case diskBytesPerMember = "disk_bytes_per_member"
            case restartSeconds = "restart_seconds"
            case rssAfterRestartBytes = "rss_after_restart_bytes"
            case recovery
        }
    }

    /// One member's start from disk, in seconds.
    struct RecoveryJSON: Encodable {
        var snapshotBytes: Int
        var readSeconds: Double
        var installSeconds: Double
        var entriesReplayed: UInt64
        var replaySeconds: Double?
        var replayEntriesPerSecond: Double?

        enum CodingKeys: String, CodingKey {
            case snapshotBytes = "snapshot_bytes"
            case readSeconds = "read_seconds"
            case installSeconds = "install_seconds"
            case entriesReplayed = "entries_replayed"
            case replaySeconds = "replay_seconds"
            case replayEntriesPerSecond = "replay_entries_per_second"
        }

        init(_ r: Recovery) {
            snapshotBytes = r.snapshotBytes
            readSeconds = (Double(r.readNanos) / 1e9).rounded(places: 3)
            installSeconds = (Double(r.installNanos) / 1e9).rounded(places: 3)
            entriesReplayed = r.entriesToReplay
            replaySeconds = r.replayNanos.map { (Double($0) / 1e9).rounded(places: 3) }
            replayEntriesPerSecond = r.replayEntriesPerSecond.map { $0.rounded(places: 0) }
        }
    }

    var jsonValue: JSON {
        JSON(members: members, clients: clients, valueSize: valueSize, keys: keys, putsAcknowledged: acknowledged,
             putsFailed: failed, loadSeconds: loadSeconds.rounded(places: 3), putsPerSecond: putsPerSecond.rounded(places: 3),
             rssBytes: rssBytes, rssBytesPerMember: rssBytes / max(members, 1), diskBytesPerMember: diskBytesPerMember,
             restartSeconds: restartSeconds.rounded(places: 3), rssAfterRestartBytes: rssAfterRestartBytes,
             recovery: recoveries.map(RecoveryJSON.init), storage: storage)
    }

    func json() throws -> String {
        try jsonLine(jsonValue)
    }

    var text: String {
        func mb(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
        return """
        \(members) members, \(clients) clients, \(keys) keys of \(valueSize) B values, storage: \(storage)
        puts/s        \(String(format: "%.0f", putsPerSecond)) while loading (\(acknowledged) acknowledged, \(failed) failed, \(String(format: "%.1f", loadSeconds)) s)
        resident MB   \(mb(rssBytes)) the process, \(mb(rssBytes / max(members, 1))) a member (the members share one process: total / \(members))
        disk MB       \(diskBytesPerMember.map(mb).joined(separator: " ")) per member (WAL segments and snapshots)
        restart s     \(String(format: "%.2f", restartSeconds)) from starting on the same data directories to the first answered put
        resident MB   \(mb(rssAfterRestartBytes)) the process once restarted (with whatever the stopped first cluster left in it)
        \(recoveries.enumerated().map { Self.recoveryLine(member: $0.offset + 1, $0.element) }.joined(separator: "\n"))
        """
    }

    /// One member's start: the snapshot and WAL read, the snapshot decoded, the entries after it applied.
    static func recoveryLine(member: Int, _ r: Recovery) -> String {
        let replay = r.replayNanos.map { String(format: "%.2f s", Double($0) / 1e9) } ?? "not finished"
        let rate = r.replayEntriesPerSecond.map { String(format: ", %.0f entries/s", $0) } ?? ""
        return String(format: "  member %d    read %.2f s (snapshot %.1f MB and the WAL), snapshot loaded in %.2f s, ", member,
                      Double(r.readNanos) / 1e9, Double(r.snapshotBytes) / 1_048_576, Double(r.installNanos) / 1e9)
            + "\(r.entriesToReplay) entries replayed in \(replay)\(rate)"
    }
}
