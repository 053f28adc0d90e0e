import Raft

/// A slow disk: syncs that take simulated time, completing in the order they were issued.
extension SimulatedDisk {
    /// A sync issued while the disk was slow (or behind one that was), durable at `completesAtNanos`.
    ///
    /// A real process would still be blocked in this sync, so nothing written after it can be
    /// on the disk if the power fails first: `contentsAtIssue` is every file as it was then.
    struct PendingSync {
        enum Target {
            /// The file's bytes as they were when the sync was issued.
            case file(inode: Int, bytes: [UInt8])
            /// The names in the directory as they were when the sync was issued.
            case directory(String, names: [String: Int])
        }

        var target: Target
        var completesAtNanos: UInt64
        var contentsAtIssue: [Int: [UInt8]]
    }

    struct Slowness {
        var latencyNanos: UInt64
        var jitterNanos: UInt64
        var untilNanos: UInt64
        var random: SplitMix64
    }

    /// Makes the disk slow until `untilNanos` of simulated time: each sync issued before then
    /// takes `latencyNanos` plus up to `jitterNanos` more (drawn from `seed`), counted from when
    /// the syncs issued before it complete. Replaces any slowness set before; syncs already
    /// issued keep their times.
    public func slowSyncs(latencyNanos: UInt64, jitterNanos: UInt64, untilNanos: UInt64, seed: UInt64) {
        state.withLock { s in
            s.slowness = Slowness(latencyNanos: latencyNanos, jitterNanos: jitterNanos, untilNanos: untilNanos,
                                  random: SplitMix64(seed: seed))
        }
    }

    /// Ends the slowness now; syncs already issued still complete when they were going to.
    public func restoreSyncSpeed() {
        state.withLock { $0.slowness = nil }
    }

    /// When every sync issued so far will be durable, if that is still ahead in simulated time;
    /// nil when all of them already are.
    public var syncsCompleteAtNanos: UInt64? {
        let now = clockNanos()
        return state.withLock { s in
            s.completeSyncs(throughNanos: now)
            return s.pendingSyncs.last?.completesAtNanos
        }
    }
}

extension SimulatedDisk.State {
    /// Whether a sync issued at `now` is durable on return: the disk is fast and nothing waits before it.
    func syncsAreInstant(atNanos now: UInt64) -> Bool {
        guard pendingSyncs.isEmpty else { return false }
        guard let slowness else { return true }
        return now >= slowness.untilNanos
    }

    /// Queues a sync behind those already pending.
    mutating func enqueue(_ target: SimulatedDisk.PendingSync.Target, nowNanos now: UInt64) {
        var delayNanos: UInt64 = 0
        if var slow = slowness, now < slow.untilNanos {
            let jitter = slow.jitterNanos == 0 ? 0 : slow.random.next() % (slow.jitterNanos + 1)
            delayNanos = slow.latencyNanos + jitter
            slowness = slow
        }
        let startNanos = max(now, pendingSyncs.last?.completesAtNanos ?? 0)
        pendingSyncs.append(SimulatedDisk.PendingSync(target: target, completesAtNanos: startNanos + delayNanos,
                                                      contentsAtIssue: inodes.mapValues(\.current)))
    }

    /// Syncs `target`: at once on a fast disk, else queued.
    mutating func sync(_ target: SimulatedDisk.PendingSync.Target, nowNanos now: UInt64) {
        completeSyncs(throughNanos: now)
        if syncsAreInstant(atNanos: now) {
            complete(target)
        } else {
            enqueue(target, nowNanos: now)
        }
        dropUnreferencedInodes()
    }

    /// Power fails at `now`: the syncs due by then are durable, the others never completed, and
    /// the files are as they were when the first of those was issued (the process was blocked
    /// in it). What they hold beyond their durable bytes is then kept, lost or torn as usual.
    mutating func abandonSyncs(atNanos now: UInt64) {
        completeSyncs(throughNanos: now)
        if let blocked = pendingSyncs.first {
            for id in Array(inodes.keys) {
                guard var inode = inodes[id] else { continue }
                inode.current = blocked.contentsAtIssue[id] ?? inode.durable
                inodes[id] = inode
            }
        }
        pendingSyncs.removeAll()
    }

    /// Makes durable, in order, every pending sync due by `now`.
    mutating func completeSyncs(throughNanos now: UInt64) {
        let dueCount = pendingSyncs.prefix { $0.completesAtNanos <= now }.count
        guard dueCount > 0 else { return }
        for pending in pendingSyncs.prefix(dueCount) { complete(pending.target) }
        pendingSyncs.removeFirst(dueCount)
        dropUnreferencedInodes()
    }

    private mutating func complete(_ target: SimulatedDisk.PendingSync.Target) {
        switch target {
        case .file(let inode, let bytes):
            // A file removed since the sync was issued has nothing left to make durable.
            inodes[inode]?.durable = bytes
        case .directory(let directory, let names):
            durableNames = durableNames.filter { parentDirectory($0.key) != directory }
            durableNames.merge(names) { _, new in new }
        }
    }
}
