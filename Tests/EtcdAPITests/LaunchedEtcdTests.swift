import Cluster
import Foundation
import Raft
import Testing
@testable import EtcdAPI

/// Real etcd members launched by rafttop behind its peer proxies, driven like the built-in cluster.
@Suite(.serialized, .enabled(if: EtcdProcesses.etcd != nil, "etcd is not installed: apt-get install etcd-server"))
struct LaunchedEtcdTests {
    static func launch() throws -> LaunchedEtcdCluster {
        var options = LaunchedEtcdCluster.Options(binary: EtcdProcesses.etcd!, members: 3)
        // Timers five times etcd's defaults: in a whole test run on two cores (load average near
        // 90, every suite's fsyncs on one disk) the members missed heartbeats and campaigned again
        // and again, and the first launch saw no leader for minutes.
        options.heartbeatMillis = 500
        options.electionMillis = 5000
        // Early in a whole test run the process's cooperative pool is so busy that a status
        // answer waited longer than 2 s to be taken up, and every member read as not answering
        // for minutes although the members had elected a leader.
        options.requestTimeoutMillis = 30_000
        return try LaunchedEtcdCluster(options)
    }

    /// Polls `condition` every 20 ms for up to `seconds`: waits for behaviour, generous because a
    /// whole test run on two cores slows etcd and the status polls by minutes.
    /// Sleeps with `Task.sleep`, holding none of the cooperative pool's threads the polling needs.
    static func eventually(_ what: String, seconds: Double = 120, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The leader, once one other than `previous` leads.
    static func leader(_ cluster: LaunchedEtcdCluster, otherThan previous: NodeID? = nil) async throws -> NodeID {
        // Asks the members itself rather than waiting for the attachment's own polling task: early
        // in a whole test run on two cores that task waited minutes for a thread of the pool.
        let deadline = Date().addingTimeInterval(300)
        while true {
            await cluster.attachment.pollOnce()
            if let leader = cluster.leader, leader != previous { return leader }
            guard Date() < deadline else {
                // Say what the members answered and what their logs end with, to tell a slow
                // election from members that never came up.
                let members = Self.members(cluster).map { "m\($0.id) reachable \($0.reachable) leader \($0.isLeader) \($0.errors)" }
                let logs = cluster.processes.map { process in
                    let log = (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? "(no log)"
                    return "\(process.name): " + log.split(separator: "\n").suffix(3).joined(separator: " | ")
                }
                throw TimedOut(what: "a leader; members: \(members); logs: \(logs)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func members(_ cluster: LaunchedEtcdCluster) -> [AttachedMember] { cluster.attachment.members }

    static func put(_ cluster: LaunchedEtcdCluster, _ key: String) async throws -> AttachedWrite {
        try await cluster.attachment.put(key: key, value: Array("v".utf8)).get()
    }

    @Test func electsALeaderTakesAPutAndLeavesNothingBehind() async throws {
        let cluster = try Self.launch()
        let pids = cluster.processes.compactMap(\.pid)
        #expect(pids.count == 3)
        do {
            let leader = try await Self.leader(cluster)
            let write = try await Self.put(cluster, "hello")
            #expect(write.revision >= 2)
            #expect(write.via == leader)
            // The launched members' data directories hold etcd's WAL, and the WAL pane shows the
            // put in every member's own WAL.
            for directory in cluster.dataDirectories {
                #expect(FileManager.default.fileExists(atPath: directory + "/member/wal"))
            }
            try await Self.eventually("the put in every member's WAL view", seconds: 120) {
                let wal = cluster.snapshot().attached?.wal ?? [:]
                return (1...3).allSatisfy { id in wal[NodeID(id)]?.entries.contains { $0.summary.contains("put hello") } == true }
            }
        } catch {
            await cluster.shutdown()
            throw error
        }
        let ports = cluster.ports
        let root = cluster.root
        await cluster.shutdown()
        for pid in pids { #expect(kill(pid, 0) != 0, "etcd \(pid) still alive") }
        for port in ports { #expect(!Sockets.accepts(port: port), "port \(port) still accepts") }
        #expect(!FileManager.default.fileExists(atPath: root))
    }

    @Test func pendingProposalsShowUnderLoad() async throws {
        let cluster = try Self.launch()
        do {
            _ = try await Self.leader(cluster)
            let clients = cluster.attachment.startLoad(rate: 100_000)
            #expect(clients > 1)
            // etcd_server_proposals_pending counts the puts a member waits on; with many clients
            // putting as fast as they can, a scrape finds some sooner or later.
            try await Self.eventually("a member's /metrics to show pending proposals") {
                Self.members(cluster).contains { ($0.metrics?.proposalsPending ?? 0) > 0 }
            }
            cluster.attachment.stopLoad()
        } catch {
            cluster.attachment.stopLoad()
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test func killingTheLeaderElectsAnotherAndTheOldOneRejoins() async throws {
        let cluster = try Self.launch()
        do {
            let old = try await Self.leader(cluster)
            _ = try await Self.put(cluster, "before")
            try cluster.kill(old)
            #expect(!cluster.processes[Int(old) - 1].isRunning)
            #expect(cluster.snapshot().members[Int(old) - 1].state == .down)
            #expect(cluster.snapshot().attached?.members[Int(old) - 1].errors.first == "killed")
            let new = try await Self.leader(cluster, otherThan: old)
            #expect(new != old)
            let after = try await Self.put(cluster, "after")
            try cluster.restart(old)
            try await Self.eventually("the old leader to catch up") {
                let m = Self.members(cluster)[Int(old) - 1]
                return m.reachable && m.revision >= after.revision
            }
            #expect(cluster.snapshot().events.contains { "\($0.kind)".contains("m\(old) killed") })
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test func aPartitionThroughTheProxiesIsolatesAMemberAndHealLetsItCatchUp() async throws {
        let cluster = try Self.launch()
        do {
            let leader = try await Self.leader(cluster)
            let cut = NodeID(leader % 3 + 1)
            try cluster.partition([[cut]])
            #expect(cluster.snapshot().members.map(\.state) == [1, 2, 3].map { $0 == cut ? .partitioned : .up })
            #expect(cluster.snapshot().attached?.members[Int(cut) - 1].errors.first == "isolated")
            // Long enough for a few polls after the cut, so the index read is one taken after it.
            try await Task.sleep(for: .milliseconds(600))
            let stalled = Self.members(cluster)[Int(cut) - 1].raftIndex
            var last: AttachedWrite?
            for i in 0..<20 { last = try await Self.put(cluster, "during-\(i)") }
            let others = Self.members(cluster).filter { $0.id != cut }
            try await Self.eventually("the majority to commit the puts") {
                Self.members(cluster).filter { $0.id != cut }.allSatisfy { $0.raftIndex >= stalled + 20 }
            }
            #expect(others.count == 2)
            #expect(Self.members(cluster)[Int(cut) - 1].raftIndex == stalled, "the cut member's index moved")
            cluster.heal()
            try await Self.eventually("the cut member to catch up", seconds: 300) {
                let m = Self.members(cluster)[Int(cut) - 1]
                return m.reachable && m.revision >= last!.revision
            }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test func aPausedMemberStopsAnsweringAndResumes() async throws {
        let cluster = try Self.launch()
        do {
            let leader = try await Self.leader(cluster)
            let paused = NodeID(leader % 3 + 1)
            try cluster.pause(paused)
            #expect(cluster.isPaused(paused))
            #expect(cluster.snapshot().members[Int(paused) - 1].state == .paused)
            try await Self.eventually("the paused member to stop answering") { !Self.members(cluster)[Int(paused) - 1].reachable }
            let write = try await Self.put(cluster, "while-paused")
            try cluster.resume(paused)
            #expect(!cluster.isPaused(paused))
            try await Self.eventually("the resumed member to answer and catch up") {
                let m = Self.members(cluster)[Int(paused) - 1]
                return m.reachable && m.revision >= write.revision
            }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test func moveLeaderTransfersLeadershipAndDelayedLossyLinksStillCommit() async throws {
        let cluster = try Self.launch()
        do {
            let leader = try await Self.leader(cluster)
            let target = NodeID(leader % 3 + 1)
            try await Self.eventually("every member's ID") { Self.members(cluster).allSatisfy { $0.memberID != 0 } }
            let moved = await withCheckedContinuation { done in cluster.transferLeadership(to: target) { done.resume(returning: $0) } }
            #expect(try moved.get() == target)
            _ = try await Self.leader(cluster, otherThan: leader)
            #expect(cluster.leader == target)
            #expect(cluster.snapshot().events.contains { "\($0.kind)".contains("MoveLeader") })

            cluster.setLatency(millis: 20)
            cluster.setLoss(percent: 1)
            #expect(cluster.peerFaults.latencyMillis == 20 && cluster.peerFaults.lossPercent == 1)
            var last: AttachedWrite?
            for i in 0..<10 {
                // A put may fail while a lost chunk's connection is re-established; the next one goes on.
                if case .success(let write) = await cluster.attachment.put(key: "slow-\(i)", value: Array("v".utf8)) { last = write }
            }
            let committed = try #require(last, "no put committed through delayed, lossy links")
            try await Self.eventually("every member to apply the last put", seconds: 300) {
                Self.members(cluster).allSatisfy { $0.reachable && $0.revision >= committed.revision }
            }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test func aMissingBinaryIsNamed() {
        var options = LaunchedEtcdCluster.Options(binary: "/nonexistent/etcd-\(getpid())")
        options.members = 1
        #expect(throws: RealEtcdError.self) { try LaunchedEtcdCluster(options) }
        #expect(RealEtcdError.binaryNotFound("/nonexistent/etcd").description.contains("/nonexistent/etcd"))
    }

    @Test func theSenderIsReadFromAPeerRequestHead() {
        let head = "GET /raft/stream/msgappv2/8e9e05c52164694d HTTP/1.1\r\nHost: 127.0.0.1:4000\r\n"
            + "X-Peerurls: http://127.0.0.1:4002\r\nX-Server-From: 8e9e05c52164694d\r\n\r\n"
        #expect(LaunchedEtcdCluster.sender(in: head, byPort: [4001: 1, 4002: 2], byMemberID: [:]) == 2)
        #expect(LaunchedEtcdCluster.sender(in: "X-Server-From: 8e9e05c52164694d\r\n\r\n", byPort: [:],
                                           byMemberID: [0x8e9e05c52164694d: 3]) == 3)
        #expect(LaunchedEtcdCluster.sender(in: "GET / HTTP/1.1\r\n\r\n", byPort: [4001: 1], byMemberID: [:]) == nil)
    }

    @Test func cutsArePerPairOfMembers() {
        var faults = PeerFaults()
        faults.cut(1, 2)
        #expect(faults.isCut(from: 1, to: 2) && faults.isCut(from: 2, to: 1))
        #expect(!faults.isCut(from: 3, to: 2))
        #expect(faults.isCut(from: nil, to: 2))
        #expect(!faults.isCut(from: nil, to: 3))
        faults.heal()
        #expect(!faults.isCut(from: 1, to: 2))
    }
}
