import ArgumentParser
import Cluster
import EtcdAPI
import Foundation
import Server

/// `rafttop bench [cluster]`: puts through the whole path of an in-process cluster, WAL fsync included.
struct BenchCluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Measure puts through the full put path of an in-process cluster (WAL fsync included).")

    @Option(help: "Members in the cluster (1 to 7).")
    var members: Int = 3

    @Option(help: "Concurrent clients, each sending its next put when the last is answered.")
    var clients: Int = 64

    @Option(help: "Seconds to measure, after one second of warm-up.")
    var duration: Double = 10

    @Option(help: "Bytes in each value.")
    var valueSize: Int = 256

    @Flag(help: "Print one JSON line instead of a table.")
    var json = false

    @Option(help: "Put to these etcd v3 endpoints (host:port, comma-separated: `rafttop serve` or a real etcd) instead of an in-process cluster.")
    var endpoints: String?

    @Option(help: "With --endpoints: HTTP/2 connections the clients share (etcd's benchmark tool has the same knob).")
    var connections: Int = 8

    @Option(help: "Print the process's resident size every this many seconds of the measured load (a soak: memory must stay flat).")
    var rssEvery: Double?

    @Option(help: "Load this many distinct keys once each, then report resident size, bytes on disk per member and the time a restart takes to answer a put (1 to 10000000).")
    var keys: Int?

    @OptionGroup var storage: StorageOptions
    @OptionGroup var placement: PlacementOptions

    func validate() throws {
        guard ClusterConfig.memberRange.contains(members) else { throw ValidationError("--members must be 1 to 7") }
        guard clients > 0 else { throw ValidationError("--clients must be at least 1") }
        guard connections > 0 else { throw ValidationError("--connections must be at least 1") }
        if let rssEvery, rssEvery <= 0 { throw ValidationError("--rss-every must be positive") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard valueSize >= 0 && valueSize <= 1_000_000 else { throw ValidationError("--value-size must be 0 to 1000000") }
        try validateKeys()
    }

    func run() throws {
        if let keys { return try runKeys(keys) }
        if let endpoints {
            return try runAgainst(endpoints.split(separator: ",").map { String($0) })
        }
        let setup = try storage.makeClusterConfig(members: members, placement: placement)
        // The disk alone, in the members' directory, before the load: what a put's latency is
        // set beside.
        let fdatasync = try setup.directory.map { try DiskProbe.fdatasyncLatency(in: $0) }
        let cluster = try Cluster(config: setup.config)
        defer {
            cluster.shutdown()
            setup.cleanUp()
        }
        guard waitUntil(seconds: 15, { cluster.isReady }) else { throw DemoError.noLeader }
        let load = LoadGenerator(cluster: cluster, clients: clients, valueSize: valueSize)
        load.start()
        sleepSeconds(1)
        cluster.resetLatency()
        let startCounts = totals(cluster)
        let startAcked = load.counts.acknowledged
        let startPacking = cluster.cpuPackingReport
        let started = cluster.nowNanos()
        let rssSamples = measure(for: duration, started: started, cluster: cluster)
        let elapsed = Double(cluster.nowNanos() - started) / 1e9
        let acked = load.counts.acknowledged - startAcked
        let endCounts = totals(cluster)
        let packing = PackingSummary(from: startPacking, to: cluster.cpuPackingReport)
        let snapshot = cluster.snapshot(traces: 256)
        let latency = snapshot.latency
        let stages = StageBreakdown(cluster.recentTraces(limit: 256))
        load.stop()
        _ = waitUntil(seconds: 30, { load.outstanding == 0 })

        let fsyncs = endCounts.fsyncs - startCounts.fsyncs
        let entries = endCounts.entries - startCounts.entries
        let result = BenchResult(
            members: members, clients: clients, valueSize: valueSize, seconds: elapsed,
            putsPerSecond: Double(acked) / elapsed,
            p50Millis: Double(latency.percentileMicros(50)) / 1000, p90Millis: Double(latency.percentileMicros(90)) / 1000,
            p99Millis: Double(latency.percentileMicros(99)) / 1000, maxMillis: Double(latency.maxMicros) / 1000,
            fsyncsPerSecond: Double(fsyncs) / elapsed, entriesPerFsync: fsyncs > 0 ? Double(entries) / Double(fsyncs) : 0,
            errors: latency.errors, storage: storage.description,
            fdatasyncP50Millis: fdatasync.map { Double($0.percentileMicros(50)) / 1000 },
            rssSamples: rssSamples, stages: stages, packing: packing)
        print(json ? try result.json() : result.text)
    }

    /// Waits out the measured `duration`; with `--rss-every`, samples the resident size on the
    /// way and prints each sample as it is taken, so a long soak shows progress.
    private func measure(for duration: Double, started: UInt64, cluster: Cluster) -> [RSSSample] {
        guard let rssEvery else {
            sleepSeconds(duration)
            return []
        }
        var samples: [RSSSample] = []
        var next = rssEvery
        while next <= duration + 1e-9 {
            let elapsed = Double(cluster.nowNanos() - started) / 1e9
            if next > elapsed { sleepSeconds(next - elapsed) }
            let sample = RSSSample(seconds: next, bytes: residentBytes() ?? 0)
            samples.append(sample)
            if !json {
                print(String(format: "rss at %5.0f s   %7.1f MB", sample.seconds, Double(sample.bytes) / 1_048_576))
                fflush(nil)
            }
            next += rssEvery
        }
        let left = duration - Double(cluster.nowNanos() - started) / 1e9
        if left > 0 { sleepSeconds(left) }
        return samples
    }

    private func runAgainst(_ endpointList: [String]) throws {
        GRPCTaskExecutor.useEventLoops()
        let load = PutLoad(endpoints: endpointList, clients: clients, connections: connections, valueSize: valueSize)
        let outcome = try runBlocking { try await load.run(seconds: duration) }
        if let error = outcome.firstError {
            FileHandle.standardError.write(Data("rafttop bench: \(outcome.failed) puts failed, the first with: \(error)\n".utf8))
        }
        let latency = outcome.latency
        let result = BenchResult(
            members: endpointList.count, clients: clients, valueSize: valueSize, seconds: outcome.elapsedSeconds,
            putsPerSecond: Double(outcome.acknowledged) / outcome.elapsedSeconds,
            p50Millis: Double(latency.percentileMicros(50)) / 1000, p90Millis: Double(latency.percentileMicros(90)) / 1000,
            p99Millis: Double(latency.percentileMicros(99)) / 1000, maxMillis: Double(latency.maxMicros) / 1000,
            fsyncsPerSecond: 0, entriesPerFsync: 0, errors: outcome.failed,
            storage: "etcd v3 endpoints " + endpointList.joined(separator: ",") + ", puts to " + outcome.target
                + ", \(min(connections, clients)) connections")
        print(json ? try result.json() : result.text)
    }

    private func totals(_ cluster: Cluster) -> (fsyncs: Int, entries: Int) {
        var fsyncs = 0
        var entries = 0
        for id in cluster.ids {
            guard let m = cluster.member(id)?.status().metrics else { continue }
            fsyncs += m.walFsyncCount
            entries += m.walEntriesWritten
        }
        return (fsyncs, entries)
    }
}

struct RSSSample {
    var seconds: Double
    var bytes: Int
}

struct BenchResult {
    var members: Int
    var clients: Int
    var valueSize: Int
    var seconds: Double
    var putsPerSecond: Double
    var p50Millis: Double
    var p90Millis: Double
    var p99Millis: Double
    var maxMillis: Double
    var fsyncsPerSecond: Double
    var entriesPerFsync: Double
    var errors: Int
    var storage: String
    /// The disk's fdatasync p50 measured in the same run (in-process bench on disk only).
    var fdatasyncP50Millis: Double?
    var rssSamples: [RSSSample] = []
    /// Medians of the put path's steps, from the members' traces (in-process bench only).
    var stages: StageBreakdown?
    /// Where the member threads ran during the measurement (in-process bench only).
    var packing: PackingSummary?

    /// Remote members' fsyncs are not visible to the client.
    var fsyncText: String {
        if fsyncsPerSecond == 0 && entriesPerFsync == 0 && storage.hasPrefix("etcd v3 endpoints") {
            return "not visible (remote members)"
        }
        return String(format: "%.0f", fsyncsPerSecond) + " (all members), " + String(format: "%.1f", entriesPerFsync) + " entries per fsync"
    }

    /// What `--json` prints: one line, figures to thousandths, the optional parts only when measured.
    struct JSON: Encodable {
        var members: Int
        var clients: Int
        var valueSize: Int
        var seconds: Double
        var putsPerSecond: Double
        var p50Millis: Double
        var p90Millis: Double
        var p99Millis: Double
        var maxMillis: Double
        var fsyncsPerSecond: Double
        var entriesPerFsync: Double
        var errors: Int
        var storage: String
        var fdatasyncP50Millis: Double?
        var p50OverFdatasync: Double?
        var rssMB: [Double]?
        var stagesP50: [String: Double]?
        var cpuPackedShare: Double?
        var cpuPackingSwitches: Int?

        enum CodingKeys: String, CodingKey {
            case members, clients, seconds, errors, storage
            case valueSize = "value_size"
            case putsPerSecond = "puts_per_second"
            case p50Millis = "p50_ms"
            case p90Millis = "p90_ms"
            case p99Millis = "p99_ms"
            case maxMillis = "max_ms"
            case fsyncsPerSecond = "fsyncs_per_second"
            case entriesPerFsync = "entries_per_fsync"
            case fdatasyncP50Millis = "fdatasync_p50_ms"
            case p50OverFdatasync = "p50_over_fdatasync"
            case rssMB = "rss_mb"
            case stagesP50 = "stages_p50"
            case cpuPackedShare = "cpu_packed_share"
            case cpuPackingSwitches = "cpu_packing_switches"
        }
    }

    var jsonValue: JSON {
        JSON(members: members, clients: clients, valueSize: valueSize, seconds: seconds.rounded(places: 3),
             putsPerSecond: putsPerSecond.rounded(places: 3), p50Millis: p50Millis.rounded(places: 3),
             p90Millis: p90Millis.rounded(places: 3), p99Millis: p99Millis.rounded(places: 3),
             maxMillis: maxMillis.rounded(places: 3), fsyncsPerSecond: fsyncsPerSecond.rounded(places: 3),
             entriesPerFsync: entriesPerFsync.rounded(places: 3), errors: errors, storage: storage,
             fdatasyncP50Millis: fdatasyncP50Millis?.rounded(places: 3),
             p50OverFdatasync: fdatasyncP50Millis.map { (p50Millis / max($0, 0.001)).rounded(places: 3) },
             rssMB: rssSamples.isEmpty ? nil : rssSamples.map { (Double($0.bytes) / 1_048_576).rounded(places: 3) },
             stagesP50: stages?.jsonValue, cpuPackedShare: packing?.packedShare.rounded(places: 3),
             cpuPackingSwitches: packing?.switches)
    }

    func json() throws -> String {
        try jsonLine(jsonValue)
    }

    var text: String {
        """
        \(members) members, \(clients) clients, \(valueSize) B values, \(String(format: "%.1f", seconds)) s, storage: \(storage)
        puts/s        \(String(format: "%.0f", putsPerSecond))
        latency ms    p50 \(String(format: "%.2f", p50Millis))  p90 \(String(format: "%.2f", p90Millis))  p99 \(String(format: "%.2f", p99Millis))  max \(String(format: "%.2f", maxMillis))
        fsyncs/s      \(fsyncText)
        errors        \(errors)
        """ + (fdatasyncP50Millis.map {
            "\nfdatasync     p50 " + String(format: "%.2f", $0) + " ms on this disk, same run (put p50 is "
                + String(format: "%.1f", p50Millis / max($0, 0.001)) + "x)"
        } ?? "") + (rssSamples.isEmpty ? "" : "\nrss MB        " + rssSamples.map { String(format: "%.0f", Double($0.bytes) / 1_048_576) }.joined(separator: " "))
            + (stages.map { $0.steps.isEmpty ? "" : "\nstages p50 µs " + $0.text + "  (\($0.traces) traces)" } ?? "")
            + (packing.map { "\nthreads       " + $0.text } ?? "")
    }
}

/// How much of a measurement the member threads spent packed on one CPU (see `CPUPacking`).
struct PackingSummary {
    var packedShare: Double
    var switches: Int
    var available: Bool

    /// Nil when packing was off.
    init?(from start: CPUPacking.Report?, to end: CPUPacking.Report?) {
        guard let start, let end else { return nil }
        let packed = end.packedNanos - start.packedNanos
        let spread = end.spreadNanos - start.spreadNanos
        packedShare = packed + spread > 0 ? Double(packed) / Double(packed + spread) : 0
        switches = end.switches - start.switches
        available = end.available
    }

    var text: String {
        guard available else { return PlacementOptions.unavailableText }
        return String(format: "packed on one CPU %.0f%% of the time, ", packedShare * 100)
            + (switches == 1 ? "1 switch" : "\(switches) switches")
    }
}
