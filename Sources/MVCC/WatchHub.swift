/// Watchers of key ranges and the events waiting for each. The store notifies the hub after each
/// write; a consumer (the gRPC Watch stream, the UI) takes the events with `takeEvents(_:)`.
public final class WatchHub {
    public typealias WatchID = Int64

    struct Watcher {
        let range: KeyRange
        let prevKV: Bool
        var pending: [WatchEvent] = []
    }

    /// A watcher that falls this far behind is cancelled instead of holding events without bound.
    public static let maxPendingEvents = 100_000

    private var watchers: [WatchID: Watcher] = [:]
    private var nextID: WatchID = 1
    /// Watchers cancelled for falling behind, until their owner learns of it.
    public private(set) var overflowed: Set<WatchID> = []

    public var count: Int { watchers.count }

    func add(range: KeyRange, prevKV: Bool, backlog: [WatchEvent]) -> WatchID {
        let id = nextID
        nextID += 1
        var watcher = Watcher(range: range, prevKV: prevKV)
        watcher.pending = backlog.map { prevKV ? $0 : Self.stripped($0) }
        watchers[id] = watcher
        return id
    }

    /// Stops a watch; returns whether it existed.
    @discardableResult
    public func cancel(_ id: WatchID) -> Bool {
        overflowed.remove(id)
        return watchers.removeValue(forKey: id) != nil
    }

    /// The events for `id` since the last call, oldest first.
    public func takeEvents(_ id: WatchID) -> [WatchEvent] {
        guard let events = watchers[id]?.pending, !events.isEmpty else { return [] }
        watchers[id]!.pending = []
        return events
    }

    func notify(_ events: [WatchEvent], store: MVCCStore) {
        guard !watchers.isEmpty else { return }
        for id in Array(watchers.keys) {
            let range = watchers[id]!.range
            let withPrevKV = watchers[id]!.prevKV
            for event in events where range.contains(event.kv.key) {
                watchers[id]!.pending.append(withPrevKV ? event : Self.stripped(event))
            }
            if watchers[id]!.pending.count > Self.maxPendingEvents {
                watchers.removeValue(forKey: id)
                overflowed.insert(id)
            }
        }
    }

    private static func stripped(_ event: WatchEvent) -> WatchEvent {
        var e = event
        e.prevKV = nil
        return e
    }
}

extension MVCCStore {
    /// Watches `range` from `startRevision` (0: only future writes). Past events from the
    /// retained history are queued at once. Fails if `startRevision` was compacted.
    public func watch(range: KeyRange, startRevision: Int64 = 0, prevKV: Bool = false) throws(MVCCError) -> WatchHub.WatchID {
        var backlog: [WatchEvent] = []
        if startRevision > 0 {
            if startRevision < compactRevision {
                throw .compacted(requested: startRevision, compactRevision: compactRevision)
            }
            let first = history.partitionPoint { $0.main < startRevision }
            for entry in history[first...] where range.contains(keyBytes(entry.key)) {
                guard let event = event(at: entry) else { continue }
                backlog.append(event)
            }
        }
        return watchers.add(range: range, prevKV: prevKV, backlog: backlog)
    }

    public var watchHub: WatchHub { watchers }
}
