import Locking
import MVCC
import Server
import Synchronization

/// One Watch stream (etcd's serverWatchStream): its watchers on one member's store, their ids on
/// the stream, and the responses it owes the client, in order, through `outbox`.
///
/// The store queues events for each watcher as writes apply; `poll()` takes them. Creating a
/// watcher and taking events happen under one lock, so a watcher's "created" response always
/// goes out before its first events.
final class WatchSession: Sendable {
    /// etcd's clientv3.InvalidWatchID: the id of a response that belongs to no watcher.
    static let invalidWatchID: Int64 = -1
    /// Events per response; a long backlog goes out as several responses.
    static let eventsPerResponseMax = 1000
    /// Responses waiting to be written before the session stops taking events from the store
    /// (they wait there instead, up to the store's own bound on a watcher's queue).
    static let queuedResponsesMax = 64

    struct Watcher {
        let storeWatchID: WatchHub.WatchID
        /// Events before this revision are left out (a watch may start in the future).
        let startRevision: Int64
        let skipPuts: Bool
        let skipDeletes: Bool
    }

    struct State {
        var watchers: [Int64: Watcher] = [:]
        var nextID: Int64 = 0
        var lastAppliedIndex: UInt64 = 0
        /// A watcher was created since the last poll, with a backlog to send.
        var backlogPending = false
    }

    let api: MemberAPI
    let member: Member
    /// The stream's user; empty without one.
    let username: String
    private let state = Locked(State())
    private let outbox: AsyncStream<Etcdserverpb_WatchResponse>.Continuation
    private let queuedResponses = Atomic<Int>(0)

    init(api: MemberAPI, member: Member, username: String, outbox: AsyncStream<Etcdserverpb_WatchResponse>.Continuation) {
        self.api = api
        self.member = member
        self.username = username
        self.outbox = outbox
    }

    func handle(_ request: Etcdserverpb_WatchRequest) {
        switch request.requestUnion {
        case .createRequest(let create)?: self.create(create)
        case .cancelRequest(let cancel)?: self.cancel(cancel.watchID)
        case .progressRequest?: progress()
        case nil: break
        }
    }

    private func create(_ request: Etcdserverpb_WatchCreateRequest) {
        // etcd's conventions: no key means from the zero byte on; a range end of one zero byte
        // means every key from `key` on.
        let key: [UInt8] = request.key.isEmpty ? [0] : [UInt8](request.key)
        let rangeEnd = [UInt8](request.rangeEnd)
        state.withLock { s in
            if request.startRevision < 0 {
                return refuse(EtcdAPIError.compacted.description)
            }
            let isRange = !rangeEnd.isEmpty && rangeEnd != [0]
            if isRange && !key.lexicographicallyPrecedes(rangeEnd) {
                return refuse("mvcc: watcher range is empty")
            }
            var id = request.watchID
            if id == 0 {
                while s.watchers[s.nextID] != nil { s.nextID += 1 }
                id = s.nextID
                s.nextID += 1
            } else if s.watchers[id] != nil {
                return refuse("mvcc: duplicate watch ID provided on the WatchStream")
            }
            let range = KeyRange(key: key, rangeEnd: rangeEnd)
            do throws(AuthError) {
                try member.checkPermission(username: username, access: .read, range: range)
            } catch {
                return refuse(error.description)
            }
            do throws(ServerError) {
                let (storeID, revision) = try member.watch(range: range, startRevision: request.startRevision, prevKV: request.prevKv)
                s.watchers[id] = Watcher(
                    storeWatchID: storeID, startRevision: request.startRevision,
                    skipPuts: request.filters.contains(.noput), skipDeletes: request.filters.contains(.nodelete))
                if request.startRevision > 0 { s.backlogPending = true }
                send(response(watchID: id, revision: revision) { $0.created = true })
            } catch .store(.compacted(_, let compactRevision)) {
                // As etcd: the watcher is created, then cancelled for having started too early.
                send(response(watchID: id) { $0.created = true })
                send(response(watchID: id) {
                    $0.canceled = true
                    $0.compactRevision = compactRevision
                    $0.cancelReason = EtcdAPIError.compacted.description
                })
            } catch {
                refuse(EtcdAPIError(error).description)
            }
        }
    }

    private func refuse(_ reason: String) {
        send(response(watchID: Self.invalidWatchID) {
            $0.created = true
            $0.canceled = true
            $0.cancelReason = reason
        })
    }

    private func cancel(_ id: Int64) {
        state.withLock { s in
            guard let watcher = s.watchers.removeValue(forKey: id) else { return }
            member.cancelWatch(watcher.storeWatchID)
            send(response(watchID: id) { $0.canceled = true })
        }
    }

    /// etcd answers a progress request, when every watcher is in sync, with a response for no
    /// watcher carrying the store's revision: the client knows it has seen everything before.
    private func progress() {
        state.withLock { s in
            guard !s.watchers.isEmpty else { return }
            takeEvents(&s)
            send(response(watchID: Self.invalidWatchID))
        }
    }

    /// Sends the events the store has for this stream's watchers. Returns false when the
    /// member this stream watches has stopped: the stream must end.
    func poll() -> Bool {
        guard !member.isStopped, api.cluster.member(api.memberID) === member else { return false }
        let applied = member.appliedIndexNow
        state.withLock { s in
            guard applied != s.lastAppliedIndex || s.backlogPending else { return }
            guard queuedResponses.load(ordering: .relaxed) < Self.queuedResponsesMax else { return }
            s.lastAppliedIndex = applied
            s.backlogPending = false
            takeEvents(&s)
        }
        return true
    }

    private func takeEvents(_ s: inout State) {
        guard !s.watchers.isEmpty else { return }
        let batch = member.takeWatchEvents(s.watchers.values.map(\.storeWatchID))
        for id in s.watchers.keys.sorted() {
            let watcher = s.watchers[id]!
            if batch.overflowed.contains(watcher.storeWatchID) {
                s.watchers[id] = nil
                send(response(watchID: id, revision: batch.revision) {
                    $0.canceled = true
                    $0.cancelReason = "rafttop: watcher fell more than \(WatchHub.maxPendingEvents) events behind"
                })
                continue
            }
            guard let events = batch.events[watcher.storeWatchID] else { continue }
            let kept = events.filter { event in
                event.kv.modRevision >= watcher.startRevision
                    && !(watcher.skipPuts && event.kind == .put) && !(watcher.skipDeletes && event.kind == .delete)
            }
            var start = 0
            while start < kept.count {
                let end = min(start + Self.eventsPerResponseMax, kept.count)
                let chunk = kept[start..<end]
                send(response(watchID: id, revision: batch.revision) { $0.events = chunk.map(Mvccpb_Event.init) })
                start = end
            }
        }
    }

    private func response(watchID: Int64, revision: Int64? = nil,
                          _ fill: (inout Etcdserverpb_WatchResponse) -> Void = { _ in }) -> Etcdserverpb_WatchResponse {
        var out = Etcdserverpb_WatchResponse()
        out.header = api.currentHeader(member, revision: revision)
        out.watchID = watchID
        fill(&out)
        return out
    }

    private func send(_ response: Etcdserverpb_WatchResponse) {
        queuedResponses.add(1, ordering: .relaxed)
        outbox.yield(response)
    }

    /// The writer has sent one response.
    func sent() {
        queuedResponses.subtract(1, ordering: .relaxed)
    }

    /// Cancels every watcher in the store and ends the outbox.
    func close() {
        state.withLock { s in
            for watcher in s.watchers.values { member.cancelWatch(watcher.storeWatchID) }
            s.watchers.removeAll()
        }
        outbox.finish()
    }
}
