import MVCC
import Server

/// A watch on one member's store for a lock or election call that waits (etcd's concurrency
/// package watches through its client): the events of one range from a revision on, taken in
/// batches while the caller is still there.
///
/// What it holds is bounded by the store's bound on a watcher's queue: past that the store drops
/// the watcher and `next()` says so, and the caller reads the key space afresh.
struct ConcurrencyWatch: ~Copyable {
    /// How often a waiting call looks for new events in the store.
    static let pollInterval = Duration.milliseconds(10)

    private let api: MemberAPI
    private let member: Member
    private let storeWatchID: WatchHub.WatchID
    /// The applied index at the last look; nil before the first, which takes the backlog.
    private var lastAppliedIndex: UInt64?

    /// Watches `range` from `revision` on (past events from the store's history come first).
    init(api: MemberAPI, range: KeyRange, from revision: Int64) throws(EtcdAPIError) {
        let member = try api.member()
        do throws(ServerError) {
            storeWatchID = try member.watch(range: range, startRevision: revision, prevKV: false).0
        } catch {
            throw EtcdAPIError(error)
        }
        self.api = api
        self.member = member
    }

    deinit {
        member.cancelWatch(storeWatchID)
    }

    /// The next events, oldest first, never empty; nil once the store dropped the watcher for
    /// falling behind. Throws `cancelled` when the caller's task is cancelled and `stopped` when
    /// the member stops.
    mutating func next() async throws(EtcdAPIError) -> [WatchEvent]? {
        while true {
            guard !member.isStopped, api.cluster.member(api.memberID) === member else { throw .stopped }
            let applied = member.appliedIndexNow
            if applied != lastAppliedIndex {
                lastAppliedIndex = applied
                let batch = member.takeWatchEvents([storeWatchID])
                if batch.overflowed.contains(storeWatchID) { return nil }
                if let events = batch.events[storeWatchID], !events.isEmpty { return events }
            }
            do {
                try await Task.sleep(for: Self.pollInterval)
            } catch {
                throw .cancelled
            }
        }
    }
}
