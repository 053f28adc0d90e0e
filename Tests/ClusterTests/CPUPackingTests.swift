import Cluster
import Foundation
import Glibc
import Server
import Testing

/// CPU packing: the policy on its own, then on real threads, whose CPUs are read back from the
/// kernel. Windows are ended with made-up times, so nothing depends on how fast the machine is.
@Suite struct CPUPackingTests {
    /// Whether this process may run on more than one CPU: with one there is nothing to pack onto.
    static let multipleCPUs = (CPUPacking.cpus(ofThread: 0)?.count ?? 1) > 1

    /// Windows of a load with many puts in flight, and of one put after another.
    private func batched(_ usage: Double) -> CPUPacking.Window { .init(usage: usage, entriesPerSync: 16) }
    private func serial(_ usage: Double) -> CPUPacking.Window { .init(usage: usage, entriesPerSync: 1) }

    @Test func policyPacksOnlyAfterQuietWindowsInARow() {
        let policy = CPUPacking.Policy()
        #expect(policy.quietWindowsToPack == 3)
        #expect(!policy.packs(wasPacked: false, window: batched(0.1), quietWindowsBefore: 0))
        #expect(!policy.packs(wasPacked: false, window: batched(0.1), quietWindowsBefore: 1))
        #expect(policy.packs(wasPacked: false, window: batched(0.1), quietWindowsBefore: 2))
        // A busy window ends the run of quiet ones, whatever came before.
        #expect(!policy.isQuiet(batched(0.6)))
        #expect(!policy.packs(wasPacked: false, window: batched(0.6), quietWindowsBefore: 9))
    }

    @Test func policyKeepsEachPlacementBetweenTheThresholds() {
        let policy = CPUPacking.Policy()
        let between = (policy.packBelow + policy.spreadAbove) / 2
        #expect(policy.packs(wasPacked: true, window: batched(between), quietWindowsBefore: 0))
        #expect(!policy.packs(wasPacked: false, window: batched(between), quietWindowsBefore: 9))
        #expect(policy.packs(wasPacked: true, window: batched(policy.spreadAbove), quietWindowsBefore: 0))
        #expect(!policy.packs(wasPacked: true, window: batched(policy.spreadAbove + 0.01), quietWindowsBefore: 0))
    }

    @Test func aChainOfSinglePutsStaysPackedUntilItSaturatesTheCPU() {
        let policy = CPUPacking.Policy()
        let busy = (policy.spreadAbove + policy.saturatedAbove) / 2
        // Busier than a batched load may be packed, and still packed: nothing to run side by side.
        #expect(policy.packs(wasPacked: true, window: serial(busy), quietWindowsBefore: 0))
        #expect(!policy.packs(wasPacked: true, window: batched(busy), quietWindowsBefore: 0))
        // Spread, it counts as quiet and packs after the usual run of windows.
        #expect(policy.isQuiet(serial(busy)))
        #expect(policy.packs(wasPacked: false, window: serial(busy), quietWindowsBefore: 2))
        // A chain that fills the CPU spreads, and does not count toward packing again.
        #expect(!policy.packs(wasPacked: true, window: serial(policy.saturatedAbove + 0.01), quietWindowsBefore: 0))
        #expect(!policy.isQuiet(serial(policy.saturatedAbove + 0.01)))
        // Two entries a write is still a chain; three is not.
        #expect(policy.isQuiet(.init(usage: busy, entriesPerSync: 2)))
        #expect(!policy.isQuiet(.init(usage: busy, entriesPerSync: 3)))
    }

    @Test func windowsCountEntriesPerSyncFromTheMembersTotals() {
        let packing = CPUPacking()
        let window = packing.policy.windowNanos
        packing.sample(nowNanos: 0, walTotals: { WALWriteTotals(syncs: 40, entries: 100) })
        packing.sample(nowNanos: window, walTotals: { WALWriteTotals(syncs: 140, entries: 1_100) })
        #expect(packing.report.lastWindow.entriesPerSync == 10)
        // A member that restarted counts from zero again: no negative difference.
        packing.sample(nowNanos: 2 * window, walTotals: { WALWriteTotals(syncs: 5, entries: 5) })
        #expect(packing.report.lastWindow.entriesPerSync == 0)
        packing.sample(nowNanos: 3 * window, walTotals: { WALWriteTotals(syncs: 6, entries: 7) })
        #expect(packing.report.lastWindow.entriesPerSync == 2)
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
        packing.sample(nowNanos: now, walTotals: idle)
        for _ in 0..<policy.quietWindowsToPack {
            now += policy.windowNanos
            packing.sample(nowNanos: now, walTotals: idle)
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

        // The worker burns 30 ms of CPU in a window said to last 10: far above any threshold,
        // saturated even for a chain of single puts.
        worker.burn(cpuNanos: 30_000_000)
        now += policy.windowNanos
        packing.sample(nowNanos: now, walTotals: idle)
        #expect(packing.report.lastWindow.usage > policy.saturatedAbove)
        #expect(packing.report.placement == .spread)
        #expect(CPUPacking.cpus(ofThread: tid) == allowed)
        #expect(packing.report.switches == 2)
        #expect(packing.report.packedNanos == policy.windowNanos)
    }

    @Test(.enabled(if: multipleCPUs, "needs a CPU to pack onto and another to leave"))
    func aThreadStartingWhilePackedIsPackedToo() throws {
        let allowed = try #require(CPUPacking.cpus(ofThread: 0))
        var policy = CPUPacking.Policy()
        policy.quietWindowsToPack = 1
        let packing = CPUPacking(policy: policy)
        packing.sample(nowNanos: 0, walTotals: idle)
        packing.sample(nowNanos: policy.windowNanos, walTotals: idle)
        #expect(packing.report.placement == .packed(cpu: allowed.max()!))
        let worker = PackedWorker(packing: packing)
        #expect(CPUPacking.cpus(ofThread: worker.threadID) == [allowed.max()!])
        worker.finish()
    }

    @Test(.enabled(if: multipleCPUs, "needs a CPU to pack onto and another to leave"))
    func packingSetsTheCPUsOfItsRegisteredThreadsOnly() throws {
        let allowed = try #require(CPUPacking.cpus(ofThread: 0))
        let packing = packedAtOnce()
        let worker = PackedWorker(packing: packing)
        defer { worker.finish() }
        // Linux gives a new thread its creator's single CPU. Packing never sweeps the process's
        // threads: the child keeps what it was given through a window's end and a spread.
        let child = worker.startThread(spreading: false)
        defer { child.finish() }
        packing.sample(nowNanos: 2 * packing.policy.windowNanos, walTotals: idle)
        #expect(packing.report.placement == .packed(cpu: allowed.max()!))
        #expect(CPUPacking.cpus(ofThread: child.threadID) == [allowed.max()!])
        worker.burn(cpuNanos: packing.policy.windowNanos)
        packing.sample(nowNanos: 3 * packing.policy.windowNanos, walTotals: idle)
        #expect(packing.report.placement == .spread)
        #expect(CPUPacking.cpus(ofThread: worker.threadID) == allowed)
        #expect(CPUPacking.cpus(ofThread: child.threadID) == [allowed.max()!])
    }

    @Test(.enabled(if: multipleCPUs, "needs a CPU to pack onto and another to leave"))
    func aThreadAMemberStartsSpreadsItself() throws {
        let allowed = try #require(CPUPacking.cpus(ofThread: 0))
        let packing = packedAtOnce()
        let worker = PackedWorker(packing: packing)
        defer { worker.finish() }
        // What a member's snapshot saver does first (MemberConfig.backgroundThreadStarted).
        let child = worker.startThread(spreading: true)
        defer { child.finish() }
        #expect(CPUPacking.cpus(ofThread: child.threadID) == allowed)
        #expect(CPUPacking.cpus(ofThread: worker.threadID) == [allowed.max()!])
    }

    @Test(.enabled(if: multipleCPUs, "needs a CPU to pack onto and another to leave"))
    func aWindowEndingLeavesAnotherClustersPackedThreadsPacked() throws {
        let allowed = try #require(CPUPacking.cpus(ofThread: 0))
        let first = packedAtOnce()
        let second = packedAtOnce()
        let theirs = PackedWorker(packing: second)
        defer { theirs.finish() }
        first.sample(nowNanos: 2 * first.policy.windowNanos, walTotals: idle)
        #expect(CPUPacking.cpus(ofThread: theirs.threadID) == [allowed.max()!])
    }

    /// A CPUPacking that packs after its first window, which has ended.
    private func packedAtOnce() -> CPUPacking {
        var policy = CPUPacking.Policy()
        policy.quietWindowsToPack = 1
        let packing = CPUPacking(policy: policy)
        packing.sample(nowNanos: 0, walTotals: idle)
        packing.sample(nowNanos: policy.windowNanos, walTotals: idle)
        return packing
    }

    @Test func aClusterAtRestPacksItsNamedMemberThreads() async throws {
        let allowed = try #require(CPUPacking.cpus(ofThread: 0))
        var config = ClusterConfig(memberCount: 3, driver: .realTime)
        config.member.tickNanos = 10_000_000
        config.packThreadsWhenLight = true
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        let names: Set = ["raft-1", "raft-2", "raft-3", "apply-1", "apply-2", "apply-3", "network"]
        // Three quiet windows of 200 ms pack an idle cluster; a loaded test machine gets a minute.
        let deadline = ContinuousClock.now + .seconds(60)
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

    private let idle: () -> WALWriteTotals = { WALWriteTotals(syncs: 0, entries: 0) }

    /// A thread's name as the kernel knows it (what ps and htop show).
    private func threadName(_ tid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A thread registered with a CPUPacking that waits for orders: burn some CPU, start a thread,
/// or finish.
private final class PackedWorker: @unchecked Sendable {
    private enum Order {
        case burn(cpuNanos: UInt64)
        case startThread(spreading: Bool)
        case finish
    }

    private let orders = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var order = Order.finish
    private var finished = false
    private var started: WaitingThread?
    private var tid: Int32 = 0

    init(packing: CPUPacking) {
        let thread = Thread { [self] in
            packing.registerCurrentThread()
            lock.withLock { tid = CPUPacking.currentThreadID() }
            done.signal()
            loop: while true {
                orders.wait()
                switch lock.withLock({ order }) {
                case .burn(let nanos):
                    let start = threadCPUNanos()
                    while threadCPUNanos() - start < nanos {}
                case .startThread(let spreading):
                    let child = WaitingThread(spreading: spreading ? packing : nil)
                    lock.withLock { started = child }
                case .finish:
                    break loop
                }
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
        give(.burn(cpuNanos: cpuNanos))
    }

    /// A thread that this one started, and that waits until told to finish; with `spreading`,
    /// it first asks the packing for every CPU, as a member's own threads do.
    func startThread(spreading: Bool) -> WaitingThread {
        give(.startThread(spreading: spreading))
        return lock.withLock { started! }
    }

    func finish() {
        let already = lock.withLock { defer { finished = true }; return finished }
        guard !already else { return }
        give(.finish)
    }

    private func give(_ next: Order) {
        lock.withLock { order = next }
        orders.signal()
        done.wait()
    }
}

/// A plain thread, registered with nothing, that waits until told to finish (after spreading
/// itself, when given a packing).
private final class WaitingThread: @unchecked Sendable {
    private let started = DispatchSemaphore(value: 0)
    private let release = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var tid: Int32 = 0

    init(spreading packing: CPUPacking?) {
        let thread = Thread { [self] in
            packing?.spreadCurrentThread()
            lock.withLock { tid = CPUPacking.currentThreadID() }
            started.signal()
            release.wait()
        }
        thread.start()
        started.wait()
    }

    var threadID: Int32 { lock.withLock { tid } }

    func finish() { release.signal() }
}

private func threadCPUNanos() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
