import MVCC

/// What a watch consumer takes from a member at once: the events for its watchers and the store
/// revision they bring it up to.
public struct WatchBatch: Sendable {
    public var events: [WatchHub.WatchID: [WatchEvent]]
    /// Watchers the store cancelled because they fell too far behind.
    public var overflowed: [WatchHub.WatchID]
    public var revision: Int64
}

extension Member {
    /// Watches `range` from `startRevision` (0: only writes from now on) on this member's store,
    /// returning the watcher's id and the store's revision.
    public func watch(range: KeyRange, startRevision: Int64, prevKV: Bool) throws(ServerError) -> (WatchHub.WatchID, Int64) {
        guard !isStopped else { throw .stopped }
        do {
            return try applier.withLock { applier throws(MVCCError) in
                let id = try applier.store.watch(range: range, startRevision: startRevision, prevKV: prevKV)
                return (id, applier.store.currentRevision)
            }
        } catch {
            throw .store(error)
        }
    }

    /// Takes the events waiting for `ids`, oldest first.
    public func takeWatchEvents(_ ids: some Sequence<WatchHub.WatchID>) -> WatchBatch {
        applier.withLock { applier in
            let hub = applier.store.watchHub
            var events: [WatchHub.WatchID: [WatchEvent]] = [:]
            var overflowed: [WatchHub.WatchID] = []
            for id in ids {
                if hub.overflowed.contains(id) {
                    overflowed.append(id)
                    hub.cancel(id)
                    continue
                }
                let taken = hub.takeEvents(id)
                if !taken.isEmpty { events[id] = taken }
            }
            return WatchBatch(events: events, overflowed: overflowed, revision: applier.store.currentRevision)
        }
    }

    public func cancelWatch(_ id: WatchHub.WatchID) {
        _ = applier.withLock { $0.store.watchHub.cancel(id) }
    }

    /// How many watchers the store holds, for every consumer.
    public var storeWatcherCount: Int {
        applier.withLock { $0.store.watchHub.count }
    }

    /// The index of the last applied entry: it moves whenever the store may have new events.
    public var appliedIndexNow: UInt64 {
        appliedIndex.load(ordering: .relaxed)
    }

    /// The store's current revision.
    public var storeRevision: Int64 {
        applier.withLock { $0.store.currentRevision }
    }

    /// How many bytes the store's retained history holds (see `MVCCStore.retainedBytes`).
    public var storeBytes: Int {
        applier.withLock { $0.store.retainedBytes }
    }
}
