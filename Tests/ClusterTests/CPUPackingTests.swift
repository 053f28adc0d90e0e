import Cluster
import Foundation
import Glibc
import Testing

/// CPU packing: the policy on its own, then on real threads, whose CPUs are read back from the
/// kernel. Windows are ended with made-up times, so nothing depends on how fast the machine is.
@Suite struct CPUPackingTests {
    @Test func policyPacksOnlyAfterQuietWindowsInARow() {
        let policy = CPUPacking.Policy()
        #expect(policy.quietWindowsToPack == 3)
        #expect(!policy.packs(wasPacked: false, usage: 0.1, quietWindowsBefore: 0))
        #expect(!policy.packs(wasPacked: false, usage: 0.1, quietWindowsBefore: 1))
        #expect(policy.packs(wasPacked: false, usage: 0.1, quietWindowsBefore: 2))
        // A busy window ends the run of quiet ones, whatever came before.
        #expect(!policy.packs(wasPacked: false, usage: 0.6, quietWindowsBefore: 9))
    }

    @Test func policyKeepsEachPlacementBetweenTheThresholds() {
        let policy = CPUPacking.Policy()
        let between = (policy.packBelow + policy.spreadAbove) / 2
        #expect(policy.packs(wasPacked: true, usage: between, quietWindowsBefore: 0))
        #expect(!policy.packs(wasPacked: false, usage: between, quietWindowsBefore: 9))
        #expect(policy.packs(wasPacked: true, usage: policy.spreadAbove, quietWindowsBefore: 0))
        #expect(!policy.packs(wasPacked: true, usage: policy.spreadAbove + 0.01, quietWindowsBefore: 0))
    }

    @Test func idleThreadsPackAndABusyOneSpreadsThem() throws {
        let allowed = try #require(CPUPacking.cpus(ofThread: 0))
        var policy = CPUPacking.Policy()
        policy.windowNanos = 10_000_000
        let packing = CPUPacking(policy: policy)
        let worker = PackedWorker(packing: packing)
        defer { worker.finish() }
        let tid = worker.threadID

        var now: UInt64 = 1_000_000_000
        packing.sample(nowNanos: now)
        for _ in 0..<policy.quietWindowsToPack {
            now += policy.windowNanos
            packing.sample(nowNanos: now)
        }
        guard allowed.count > 1 else {
            // One CPU: nothing to pack onto, and nothing is changed.
            #expect(!packing.report.available)
            #expect(packing.report.placement == .spread)
            #expect(CPUPacking.cpus(ofThread: tid) == allowed)
            return
        }
        #expect(packing.report.available)
        #expect(packing.report.placement == .packed(cpu: allowed.max()!))
        #expect(CPUPacking.cpus(ofThread: tid) == [allowed.max()!])

        // The worker burns 30 ms of CPU in a window said to last 10: far above any threshold.
        worker.burn(cpuNanos: 30_000_000)
        now += policy.windowNanos
        packing.sample(nowNanos: now)
        #expect(packing.report.lastUsage > policy.spreadAbove)
        #expect(packing.report.placement == .spread)
        #expect(CPUPacking.cpus(ofThread: tid) == allowed)
        #expect(packing.report.switches == 2)
        #expect(packing.report.packedNanos == policy.windowNanos)
    }

    @Test func aThreadStartingWhilePackedIsPackedToo() throws {
        let allowed = try #require(CPUPacking.cpus(ofThread: 0))
        guard allowed.count > 1 else { return }
        var policy = CPUPacking.Policy()
        policy.quietWindowsToPack = 1
        let packing = CPUPacking(policy: policy)
        packing.sample(nowNanos: 0)
        packing.sample(nowNanos: policy.windowNanos)
        #expect(packing.report.placement == .packed(cpu: allowed.max()!))
        let worker = PackedWorker(packing: packing)
        #expect(CPUPacking.cpus(ofThread: worker.threadID) == [allowed.max()!])
        worker.finish()
    }

    @Test func aClusterAtRestPacksItsNamedMemberThreads() async throws {
        let allowed = try #require(CPUPacking.cpus(ofThread: 0))
        var config = ClusterConfig(memberCount: 3, driver: .realTime)
        config.member.tickNanos = 10_000_000
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        let names: Set = ["raft-1", "raft-2", "raft-3", "apply-1", "apply-2", "apply-3", "network"]
        let deadline = ContinuousClock.now + .seconds(1_800)
        while (cluster.cpuPackingReport?.threadIDs.count ?? 0) < names.count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let threads = try #require(cluster.cpuPackingReport?.threadIDs)
        #expect(Set(threads.compactMap(threadName)) == names)
        guard allowed.count > 1 else {
            #expect(cluster.cpuPackingReport?.available == false)
            return
        }
        // An idle cluster uses a sliver of a CPU: it packs after its quiet windows.
        while cluster.cpuPackingReport?.placement == .spread && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(cluster.cpuPackingReport?.placement == .packed(cpu: allowed.max()!))
        for tid in threads {
            #expect(CPUPacking.cpus(ofThread: tid) == [allowed.max()!], "\(threadName(tid) ?? "?") (\(tid))")
        }
    }

    @Test func packingOffLeavesTheThreadsAlone() throws {
        var config = ClusterConfig(memberCount: 1, driver: .realTime)
        config.packThreadsWhenLight = false
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        #expect(cluster.cpuPackingReport == nil)
    }

    /// A thread's name as the kernel knows it (what ps and htop show).
    private func threadName(_ tid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A thread registered with a CPUPacking that waits for orders: burn some CPU, or finish.
private final class PackedWorker: @unchecked Sendable {
    private let orders = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var burnNanos: UInt64 = 0
    private var finishing = false
    private var tid: Int32 = 0

    init(packing: CPUPacking) {
        let thread = Thread { [self] in
            packing.registerCurrentThread()
            lock.withLock { tid = CPUPacking.currentThreadID() }
            done.signal()
            while true {
                orders.wait()
                let (burn, finish) = lock.withLock { (burnNanos, finishing) }
                if finish { break }
                let start = Self.threadCPUNanos()
                while Self.threadCPUNanos() - start < burn {}
                done.signal()
            }
            packing.unregisterCurrentThread()
            done.signal()
        }
        thread.start()
        done.wait()
    }

    var threadID: Int32 { lock.withLock { tid } }

    /// Returns once the thread has used `cpuNanos` of CPU time.
    func burn(cpuNanos: UInt64) {
        lock.withLock { burnNanos = cpuNanos }
        orders.signal()
        done.wait()
    }

    func finish() {
        let already = lock.withLock { defer { finishing = true }; return finishing }
        guard !already else { return }
        orders.signal()
        done.wait()
    }

    private static func threadCPUNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
