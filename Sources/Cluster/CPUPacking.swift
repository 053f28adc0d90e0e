import CThreads
import Glibc
import Locking
import Server

/// Keeps the member threads of a real-time cluster (raft, apply, network) on one CPU while
/// together they use little of it, and lets them run on every CPU the process may use once they
/// need more.
///
/// Why: on a virtual machine an idle CPU sleeps in the hypervisor, and a thread woken there
/// waits until the hypervisor runs that CPU again. One put wakes the member threads one after
/// another (the leader, both followers, the leader again), and when they are spread over two
/// CPUs most of those wake-ups cross to a sleeping one. On the 2-core KVM machine of the README,
/// one client's put through gRPC took 0.16 ms at p50 with the threads spread and 0.10 to
/// 0.12 ms with them packed; from 16 clients on, one CPU is too few and packing costs
/// throughput. Hence the switch by load, sampled every `Policy.windowNanos`.
///
/// It sets the CPUs of the threads registered with it and of no other. Linux gives a new thread
/// its creator's CPUs, so a thread a packed member thread starts begins packed: the member's
/// own (the snapshot saver) calls `spreadCurrentThread()` as it starts. A dispatch worker that
/// the runtime would create on a packed member thread (all others busy as it hands work on)
/// would stay packed until it ends; none was seen under `serve` or `bench` (docs/performance.md).
public final class CPUPacking: Sendable {
    /// Where the member threads may run.
    public enum Placement: Sendable, Equatable, CustomStringConvertible {
        /// On every CPU the process may use.
        case spread
        /// On this one CPU only.
        case packed(cpu: Int)

        public var description: String {
            switch self {
            case .spread: "spread"
            case .packed(let cpu): "packed on CPU \(cpu)"
            }
        }
    }

    /// What one window showed: the share of one CPU the member threads used, and the entries
    /// each synced WAL write carried on average (0 when nothing was written), which is about how
    /// many puts the clients had in flight.
    public struct Window: Sendable, Equatable {
        public var usage: Double
        public var entriesPerSync: Double

        public init(usage: Double, entriesPerSync: Double) {
            self.usage = usage
            self.entriesPerSync = entriesPerSync
        }
    }

    /// When to pack and when to spread.
    ///
    /// A load of single puts one after another (a WAL write carries one or two entries) is a
    /// chain of wake-ups with nothing to run side by side: it stays packed until it saturates
    /// the CPU. Otherwise the threads pack below `packBelow` of a CPU and spread above
    /// `spreadAbove`; the gap keeps a load near one of them from switching back and forth (the
    /// same load uses more CPU spread than packed, in its cross-CPU wake-ups). Packing waits
    /// for several quiet windows in a row, so that a pause in a heavy load (a snapshot, a
    /// compaction) does not pack it.
    public struct Policy: Sendable, Equatable {
        public var windowNanos: UInt64 = 200_000_000
        public var packBelow = 0.55
        public var spreadAbove = 0.65
        public var saturatedAbove = 0.9
        public var serialEntriesPerSyncMax = 2.0
        public var quietWindowsToPack = 3

        public init() {}

        /// Whether a window counts toward packing.
        public func isQuiet(_ window: Window) -> Bool {
            window.usage < packBelow || (isSerial(window) && window.usage <= saturatedAbove)
        }

        /// Whether the threads should be packed for the next window, given where they are, the
        /// window that just ended, and how many quiet windows in a row came before it.
        public func packs(wasPacked: Bool, window: Window, quietWindowsBefore: Int) -> Bool {
            precondition(packBelow <= spreadAbove && spreadAbove <= saturatedAbove, "the thresholds are out of order")
            precondition(quietWindowsToPack >= 1, "packing needs at least one quiet window")
            if wasPacked {
                if window.usage > saturatedAbove { return false }
                return isSerial(window) || window.usage <= spreadAbove
            }
            return isQuiet(window) && quietWindowsBefore + 1 >= quietWindowsToPack
        }

        private func isSerial(_ window: Window) -> Bool {
            window.entriesPerSync <= serialEntriesPerSyncMax
        }
    }

    /// What packing has done so far.
    public struct Report: Sendable, Equatable {
        /// False when the process may use only one CPU, or may not set its threads' CPUs.
        public var available: Bool
        public var placement: Placement
        public var switches: Int
        public var packedNanos: UInt64
        public var spreadNanos: UInt64
        /// The last full window.
        public var lastWindow: Window
        /// The kernel's ids of the threads counted, in increasing order.
        public var threadIDs: [Int32]
    }

    private struct ThreadClock {
        var clock: clockid_t
        var cpuNanos: UInt64
    }

    private struct State {
        var threads: [Int32: ThreadClock] = [:]
        var placement: Placement = .spread
        var available: Bool
        var windowStartNanos: UInt64?
        /// CPU time of threads that ended during the current window.
        var endedCPUNanos: UInt64 = 0
        var switches = 0
        var packedNanos: UInt64 = 0
        var spreadNanos: UInt64 = 0
        var lastWindow = Window(usage: 0, entriesPerSync: 0)
        var quietWindows = 0
        var walTotals: WALWriteTotals?
    }

    public let policy: Policy
    /// The CPUs the process could use when the cluster started: the spread placement.
    private let allowedMask: [UInt]
    /// The CPU the threads pack onto: the highest allowed one (CPU 0 tends to take more of the
    /// machine's other work).
    private let packCPU: Int?
    private let state: Locked<State>

    public init(policy: Policy = Policy()) {
        self.policy = policy
        let allowed = Self.cpus(ofThread: 0) ?? []
        allowedMask = Self.mask(of: allowed)
        packCPU = allowed.count > 1 ? allowed.max() : nil
        state = Locked(State(available: packCPU != nil))
    }

    /// Starts counting the calling thread's CPU time, and places it where the others are.
    public func registerCurrentThread() {
        var clock = clockid_t()
        guard pthread_getcpuclockid(pthread_self(), &clock) == 0 else { return }
        let tid = rt_gettid()
        state.withLock { s in
            s.threads[tid] = ThreadClock(clock: clock, cpuNanos: Self.cpuNanos(clock) ?? 0)
            if s.available, !place(tid: tid, s.placement) { s.available = false }
        }
    }

    /// Lets the calling thread run on every CPU the process could use when the cluster started:
    /// for a thread a member starts, which would otherwise keep its packed creator's one CPU.
    public func spreadCurrentThread() {
        _ = rt_set_thread_cpus(rt_gettid(), allowedMask, allowedMask.count * MemoryLayout<UInt>.size)
    }

    /// Stops counting the calling thread, keeping the CPU time it used in this window.
    public func unregisterCurrentThread() {
        let tid = rt_gettid()
        state.withLock { s in
            guard let thread = s.threads.removeValue(forKey: tid) else { return }
            let now = Self.cpuNanos(thread.clock) ?? thread.cpuNanos
            s.endedCPUNanos += now - min(now, thread.cpuNanos)
        }
        // A thread id may be reused by a later thread: leave it free to run anywhere.
        _ = rt_set_thread_cpus(tid, allowedMask, allowedMask.count * MemoryLayout<UInt>.size)
    }

    /// Ends the window when `Policy.windowNanos` have passed since it began: measures the
    /// threads' share of one CPU over it and the entries per synced WAL write (from the members'
    /// running totals, read only then), and packs or spreads the threads by the policy. Cheap to
    /// call more often; the cluster's network thread calls it every few milliseconds.
    public func sample(nowNanos: UInt64, walTotals: () -> WALWriteTotals) {
        state.withLock { s in
            guard let start = s.windowStartNanos else {
                s.windowStartNanos = nowNanos
                s.walTotals = walTotals()
                return
            }
            let elapsed = nowNanos - min(nowNanos, start)
            guard elapsed >= policy.windowNanos else { return }
            var used = s.endedCPUNanos
            for (tid, thread) in s.threads {
                guard let now = Self.cpuNanos(thread.clock) else { continue }
                used += now - min(now, thread.cpuNanos)
                s.threads[tid]?.cpuNanos = now
            }
            let totals = walTotals()
            // A restarted member starts its counts again: a negative difference counts as none.
            let syncs = max(0, totals.syncs - (s.walTotals?.syncs ?? 0))
            let entries = max(0, totals.entries - (s.walTotals?.entries ?? 0))
            s.walTotals = totals
            s.endedCPUNanos = 0
            s.windowStartNanos = nowNanos
            let window = Window(usage: Double(used) / Double(elapsed),
                                entriesPerSync: syncs > 0 ? Double(entries) / Double(syncs) : 0)
            s.lastWindow = window
            if case .packed = s.placement { s.packedNanos += elapsed } else { s.spreadNanos += elapsed }
            let quietBefore = s.quietWindows
            s.quietWindows = policy.isQuiet(window) ? s.quietWindows + 1 : 0
            guard s.available, let packCPU else { return }
            let wasPacked = s.placement != .spread
            let packs = policy.packs(wasPacked: wasPacked, window: window, quietWindowsBefore: quietBefore)
            let next: Placement = packs ? .packed(cpu: packCPU) : .spread
            guard next != s.placement else { return }
            s.placement = next
            s.switches += 1
            for tid in s.threads.keys where !place(tid: tid, next) {
                s.available = false
            }
        }
    }

    public var report: Report {
        state.withLock { s in
            Report(available: s.available, placement: s.placement, switches: s.switches,
                   packedNanos: s.packedNanos, spreadNanos: s.spreadNanos, lastWindow: s.lastWindow,
                   threadIDs: s.threads.keys.sorted())
        }
    }

    /// Sets one thread's CPUs; false when the system refuses for a reason other than the
    /// thread having ended.
    private func place(tid: Int32, _ placement: Placement) -> Bool {
        let mask: [UInt]
        switch placement {
        case .spread: mask = allowedMask
        case .packed(let cpu): mask = Self.mask(of: [cpu])
        }
        if rt_set_thread_cpus(tid, mask, mask.count * MemoryLayout<UInt>.size) == 0 { return true }
        return errno == ESRCH
    }

    /// The CPUs a thread (0: the caller) may run on, in increasing order; nil when unknown.
    public static func cpus(ofThread tid: Int32) -> [Int]? {
        var mask = [UInt](repeating: 0, count: maskWords)
        let written = rt_get_thread_cpus(tid, &mask, mask.count * MemoryLayout<UInt>.size)
        guard written > 0 else { return nil }
        let bits = UInt.bitWidth
        return (0..<(Int(written) * 8)).filter { mask[$0 / bits] & (1 << UInt($0 % bits)) != 0 }
    }

    /// The kernel's id of the calling thread.
    public static func currentThreadID() -> Int32 { rt_gettid() }

    /// Names the calling thread as ps, top and htop show it (15 bytes at most).
    public static func nameCurrentThread(_ name: String) {
        _ = rt_set_thread_name(name)
    }

    /// Room for 1,024 CPUs, as glibc's cpu_set_t.
    private static let maskWords = 1024 / UInt.bitWidth

    private static func mask(of cpus: [Int]) -> [UInt] {
        var mask = [UInt](repeating: 0, count: maskWords)
        for cpu in cpus where cpu < 1024 {
            mask[cpu / UInt.bitWidth] |= 1 << UInt(cpu % UInt.bitWidth)
        }
        return mask
    }

    private static func cpuNanos(_ clock: clockid_t) -> UInt64? {
        var time = timespec()
        guard clock_gettime(clock, &time) == 0 else { return nil }
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
