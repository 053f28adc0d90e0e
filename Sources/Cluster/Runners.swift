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
    let wakeup: Wakeup
    let applyWakeup: Wakeup
    let cluster: WeakCluster
    let packing: CPUPacking?
    private let running = Atomic<Bool>(true)
    private let paused = Atomic<Bool>(false)
    private let exited = DispatchGroup()

    init(member: Member, wakeup: Wakeup, applyWakeup: Wakeup, cluster: WeakCluster, packing: CPUPacking?) {
        self.member = member
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

    private var isRunning: Bool { running.load(ordering: .relaxed) }

    private func raftLoop() {
        let clock = SystemClock()
        var tick = member.config.tickNanos
        var nextTick = clock.nowNanos() + tick
        while isRunning {
            tick = member.config.tickNanos * (cluster.cluster?.tickScalePermille.load(ordering: .relaxed) ?? 1000) / 1000
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
            if !paused.load(ordering: .relaxed) {
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
}

/// Runs `body` on the calling thread under `name` (as ps and htop show it), with its CPU time
/// counted and its CPUs set by `packing` while it runs.
private func runPlaced(named name: String, packing: CPUPacking?, _ body: () -> Void) {
    CPUPacking.nameCurrentThread(name)
    packing?.registerCurrentThread()
    body()
    packing?.unregisterCurrentThread()
}
