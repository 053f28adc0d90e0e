import ArgumentParser
import Cluster
import EtcdAPI
import Foundation
import Locking
import Raft

/// The failover demo on real etcd: the same steps and report as on the built-in cluster, with
/// puts through etcd's v3 API and the leader killed with SIGKILL.
extension DemoFailover {
    func runOnEtcd() throws {
        var options = LaunchedEtcdCluster.Options(binary: etcdPath, members: 3)
        options.pollMillis = 50
        let cluster: LaunchedEtcdCluster
        do {
            cluster = try LaunchedEtcdCluster(options)
        } catch {
            FileHandle.standardError.write(Data("rafttop: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let (clients, phaseSeconds) = (clients, phaseSeconds)
        let result = Result { try runBlocking { try await Self.failover(cluster, clients: clients, phaseSeconds: phaseSeconds) } }
        try? runBlocking { await cluster.shutdown() }
        let report = try result.get()
        print(json ? try report.json() : report.text)
        if report.lostPuts > 0 || !report.oldLeaderCaughtUp { throw ExitCode(1) }
    }

    static func failover(_ cluster: LaunchedEtcdCluster, clients: Int, phaseSeconds: Double) async throws -> FailoverReport {
        guard let oldLeader = try await waitFor(seconds: 60, { cluster.leader }) else { throw RealEtcdError.noLeader(60) }
        let load = EtcdPutLoad(cluster: cluster, clients: clients)
        load.start()
        try await Task.sleep(for: .seconds(phaseSeconds))
        let before = cluster.snapshot().latency
        cluster.resetLatency()

        let crashedAt = cluster.nowNanos()
        try cluster.kill(oldLeader)
        guard let newLeader = try await waitFor(seconds: 60, { cluster.leader.flatMap { $0 == oldLeader ? nil : $0 } }) else {
            await load.stop()
            throw DemoError.noNewLeader(oldLeader)
        }
        let failoverNanos = cluster.nowNanos() - crashedAt
        cluster.resetLatency()
        try await Task.sleep(for: .seconds(phaseSeconds))
        let after = cluster.snapshot().latency

        try cluster.restart(oldLeader)
        await load.stop()
        // Every member, the old leader too, must have applied the last acknowledged put before its
        // store is read; a status poll taken after the load stopped says so by its revision.
        let members = { cluster.snapshot().attached?.members ?? [] }
        let revision = load.highestRevision
        let caughtUp = try await waitFor(seconds: 60, {
            members().allSatisfy { $0.reachable && $0.revision >= revision } ? true : nil
        }) ?? false

        var lost = 0
        for (key, sequence) in load.acknowledged {
            for id in cluster.processes.map(\.id) {
                let stored = (try? await cluster.localValue(of: key, on: id).get()).flatMap { $0 }
                    .flatMap { Int(String(decoding: $0.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)) } ?? -1
                if stored < sequence {
                    lost += 1
                    break
                }
            }
        }
        return FailoverReport(
            oldLeader: oldLeader, newLeader: newLeader, failoverMillis: Double(failoverNanos) / 1e6,
            ackedPuts: load.acknowledgedCount, lostPuts: lost, oldLeaderCaughtUp: caughtUp,
            p50MillisBefore: Double(before.percentileMicros(50)) / 1000, p99MillisBefore: Double(before.percentileMicros(99)) / 1000,
            p50MillisAfter: Double(after.percentileMicros(50)) / 1000, p99MillisAfter: Double(after.percentileMicros(99)) / 1000)
    }

    /// Polls every 10 ms until `value` gives one; nil after `seconds`.
    static func waitFor<T>(seconds: Double, _ value: () -> T?) async throws -> T? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let found = value() { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

/// Closed-loop clients putting to launched etcd, each its own key with a rising sequence number
/// first in the value, so a put acknowledged can be looked for afterwards on every member.
final class EtcdPutLoad: Sendable {
    private let cluster: LaunchedEtcdCluster
    private let clients: Int
    private let state = Locked<State>(State())

    private struct State {
        var task: Task<Void, Never>?
        /// Per key, the highest sequence number acknowledged.
        var acknowledged: [String: Int] = [:]
        var acknowledgedCount = 0
        /// The store revision of the newest put acknowledged.
        var highestRevision: Int64 = 0
    }

    init(cluster: LaunchedEtcdCluster, clients: Int) {
        self.cluster = cluster
        self.clients = clients
    }

    var acknowledged: [String: Int] { state.withLock { $0.acknowledged } }
    var acknowledgedCount: Int { state.withLock { $0.acknowledgedCount } }
    var highestRevision: Int64 { state.withLock { $0.highestRevision } }

    func start() {
        let (cluster, clients, state) = (cluster, clients, state)
        let task = Task {
            await withDiscardingTaskGroup { group in
                for client in 0..<clients {
                    group.addTask {
                        let key = "demo-\(client)"
                        var sequence = 0
                        while !Task.isCancelled {
                            sequence += 1
                            var value = Array("\(sequence):".utf8)
                            value.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: 256 - value.count))
                            switch await cluster.attachment.put(key: key, value: value) {
                            case .success(let write):
                                state.withLock { s in
                                    s.acknowledged[key] = sequence
                                    s.acknowledgedCount += 1
                                    s.highestRevision = max(s.highestRevision, write.revision)
                                }
                            case .failure:
                                // No leader yet, or the one asked is dead: wait for the next poll.
                                try? await Task.sleep(for: .milliseconds(20))
                            }
                        }
                    }
                }
            }
        }
        state.withLock { $0.task = task }
    }

    /// Cancels the clients and waits for their puts in flight to finish.
    func stop() async {
        let task = state.withLock { $0.task }
        task?.cancel()
        await task?.value
    }
}
