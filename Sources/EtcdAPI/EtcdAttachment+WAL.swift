import Cluster
import Raft
import Server

extension EtcdAttachment {
    /// How many of a member's newest WAL entries the view keeps.
    static let walEntriesShown = 64

    /// From the next poll on, shows the WAL of member `id` (its position in the endpoint list,
    /// from 1), read from etcd's data directory `dataDirectory` without ever locking it.
    public func readWAL(of id: NodeID, dataDirectory: String) {
        precondition(id >= 1 && Int(id) <= endpoints.count, "member \(id) is not one of the \(endpoints.count) endpoints")
        walTails.withLock { $0[id] = EtcdWALTail(dataDirectory: dataDirectory) }
    }

    /// Reads what each WAL gained since the last poll: a little file reading, a few times a second.
    func refreshWALs() {
        let tails = walTails.withLock { $0 }
        guard !tails.isEmpty else { return }
        var views: [NodeID: AttachedWAL] = [:]
        for (id, tail) in tails {
            switch tail.latest(Self.walEntriesShown) {
            case .success(let view):
                views[id] = AttachedWAL(entries: view.entries.map(WALEntryView.init), commit: view.commit,
                                        note: view.tornTail.map { "tail being written: \($0)" })
            case .failure(let error):
                views[id] = AttachedWAL(entries: [], commit: 0, note: "\(error)")
            }
        }
        walViews.withLock { $0 = views }
    }
}
