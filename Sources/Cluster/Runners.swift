import Dispatch
import Foundation
import Raft
import Server
import Synchronization

/// Wakes a sleeping thread; signals while it is awake are not lost.
final class Wakeup: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func signal() { semaphore.signal() }

    /// Sleeps until signalled or `nanos` pass.
    func wait(nanos: UInt64) {
        _ = semaphore.wait(timeout: .now() + .nanoseconds(Int(min(nanos, 1_000_000_000))))
    }
}

/// Runs one member in real time: a raft thread (ticks, Ready handling with fsync) and an apply
/// thread, so that a slow apply shows as a gap between committed and applied.
final class MemberRunner: Sendable {
    let member: Member
    /// The cluster's clock, which stops while the cluster is frozen: ticks keep their phase.
    let clock: any MonotonicClock
    let wakeup: Wakeup
    let applyWakeup: Wakeup
    let cluster: WeakCluster
    let packing: CPUPacking?
    private let running = Atomic<Bool>(true)
    private let paused = Atomic<Bool>(false)
    private let exited = DispatchGroup()
    /// The freeze generation each thread last saw and stopped for (see `Cluster.freeze`).
    private let raftFrozenAt = Atomic<UInt64>(0)
    private let applyFrozenAt = Atomic<UInt64>(0)

    init(member: Member, clock: any MonotonicClock, wakeup: Wakeup, applyWakeup: Wakeup, cluster: WeakCluster, packing: CPUPacking?) {
        self.member = member
        self.clock = clock
        self.wakeup = wakeup
        self.applyWakeup = applyWakeup
        self.cluster = cluster
        self.packing = packing
    }

    func start() {
        exited.enter()
        exited.enter()
        let raftThread = Thread { [self] in
            runPlaced(named: "raft-\(member.id)", packing: packing) { raftLoop() }
            exited.leave()
        }
        raftThread.name = "raft-\(member.id)"
        raftThread.start()
        let applyThread = Thread { [self] in
            runPlaced(named: "apply-\(member.id)", packing: packing) { applyLoop() }
            exited.leave()
        }
        applyThread.name = "apply-\(member.id)"
        applyThread.start()
    }

    func setPaused(_ value: Bool) {
        paused.store(value, ordering: .relaxed)
        wakeup.signal()
        applyWakeup.signal()
    }

    /// Stops both threads and waits until they have exited.
    func stop() {
        running.store(false, ordering: .relaxed)
        wakeup.signal()
        applyWakeup.signal()
        exited.wait()
    }

    /// Wakes both threads, to see a freeze or a thaw at once.
    func wake() {
        wakeup.signal()
        applyWakeup.signal()
    }

    /// Whether both threads have stopped for the freeze of `generation` and do nothing until a thaw.
    func isFrozen(at generation: UInt64) -> Bool {
        raftFrozenAt.load(ordering: .acquiring) == generation && applyFrozenAt.load(ordering: .acquiring) == generation
    }

    private var isRunning: Bool { running.load(ordering: .relaxed) }

    /// The freeze generation when the cluster is frozen, nil when it runs.
    private var frozenGeneration: UInt64? {
        let generation = cluster.cluster?.freezeGeneration.load(ordering: .acquiring) ?? 0
        return generation & 1 == 1 ? generation : nil
    }

    private func raftLoop() {
        var tick = member.config.tickNanos
        var nextTick = clock.nowNanos() + tick
        while isRunning {
            tick = member.config.tickNanos * (cluster.cluster?.tickScalePermille.load(ordering: .relaxed) ?? 1000) / 1000
            if let generation = frozenGeneration {
                // The cluster's clock stands still too, so the next tick keeps its time.
                raftFrozenAt.store(generation, ordering: .releasing)
                wakeup.wait(nanos: tick)
                continue
            }
            if paused.load(ordering: .relaxed) {
                wakeup.wait(nanos: tick)
                nextTick = clock.nowNanos() + tick
                continue
            }
            let now = clock.nowNanos()
            if now >= nextTick {
                member.tick()
                // After a stall, tick once and carry on rather than firing a burst of ticks.
                nextTick = max(nextTick + tick, now + tick / 2)
            }
            do {
                while isRunning, try member.raftCycle() {}
            } catch {
                running.store(false, ordering: .relaxed)
                let id = member.id
                let cluster = self.cluster
                Thread { cluster.cluster?.memberFailed(id, error: error) }.start()
                return
            }
            let after = clock.nowNanos()
            if after < nextTick { wakeup.wait(nanos: nextTick - after) }
        }
    }

    private func applyLoop() {
        while isRunning {
            if let generation = frozenGeneration {
                applyFrozenAt.store(generation, ordering: .releasing)
            } else if !paused.load(ordering: .relaxed) {
                do {
                    while isRunning, try member.applyCycle() {}
                } catch {
                    running.store(false, ordering: .relaxed)
                    let id = member.id
                    let cluster = self.cluster
                    Thread { cluster.cluster?.memberFailed(id, error: error) }.start()
                    return
                }
            }
            applyWakeup.wait(nanos: 20_000_000)
        }
    }
}

/// Delivers messages whose latency has passed, and keeps the cluster's view of its leader fresh.
final class NetworkRunner: Sendable {
    let wakeup = Wakeup()
    private let running = Atomic<Bool>(true)
    /// The freeze generation the thread last saw and stopped for (see `Cluster.freeze`).
    private let frozenAt = Atomic<UInt64>(0)
    private let exited = DispatchGroup()

    func start(cluster: WeakCluster, packing: CPUPacking?) {
        exited.enter()
        let thread = Thread { [self] in
            runPlaced(named: "network", packing: packing) { loop(cluster: cluster, packing: packing) }
            exited.leave()
        }
        thread.name = "network"
        thread.start()
    }

    private func loop(cluster: WeakCluster, packing: CPUPacking?) {
        var lastObserved: UInt64 = 0
        while running.load(ordering: .relaxed), let c = cluster.cluster {
            let generation = c.freezeGeneration.load(ordering: .acquiring)
            if generation & 1 == 1 {
                frozenAt.store(generation, ordering: .releasing)
                wakeup.wait(nanos: 5_000_000)
                continue
            }
            let now = c.nowNanos()
            c.deliverDue()
            packing?.sample(nowNanos: now, walTotals: { c.walWriteTotals() })
            if now - lastObserved > 5_000_000 {
                c.observe()
                lastObserved = now
            }
            let next = c.nextDeliveryNanos().map { $0 > now ? $0 - now : 0 } ?? 5_000_000
            if next > 0 { wakeup.wait(nanos: min(next, 5_000_000)) }
        }
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        wakeup.signal()
        exited.wait()
    }

    /// Whether the thread has stopped for the freeze of `generation`.
    func isFrozen(at generation: UInt64) -> Bool {
        frozenAt.load(ordering: .acquiring) == generation
    }
}

/// Runs `body` on the calling thread under `name` (as ps and htop show it), with its CPU time
/// counted and its CPUs set by `packing` while it runs.
private func runPlaced(named name: String, packing: CPUPacking?, _ body: () -> Void) {
    CPUPacking.nameCurrentThread(name)
    packing?.registerCurrentThread()
    body()
    packing?.unregisterCurrentThread()
}
