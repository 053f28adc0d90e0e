import Locking
import Raft

/// Every entry any member applies, by index: two members applying different entries at one
/// index is a split brain, whatever the clients saw.
final class AppliedLog: Sendable {
    private struct State {
        var entries: [UInt64: Entry] = [:]
        var conflicts: [String] = []
        var count = 0
    }

    private let state = Locked(State())

    func record(_ member: NodeID, _ entry: Entry) {
        state.withLock { s in
            s.count += 1
            if let seen = s.entries[entry.index] {
                if seen != entry && s.conflicts.count < 10 {
                    s.conflicts.append("member \(member) applied entry \(entry.index) of term \(entry.term), "
                        + "another member applied entry \(seen.index) of term \(seen.term) with other data")
                }
            } else {
                s.entries[entry.index] = entry
            }
        }
    }

    var conflicts: [String] { state.withLock { $0.conflicts } }
    /// Every index's entry, in index order.
    var entries: [Entry] { state.withLock { s in s.entries.keys.sorted().map { s.entries[$0]! } } }
    var appliedCount: Int { state.withLock { $0.count } }
}

/// What the revisions in the answers must satisfy, beyond each key's linearizability.
enum RevisionInvariants {
    /// Revisions only grow in real time: an operation called after another was answered sees at
    /// least that revision, and a write moves past it. No two acknowledged writes share a
    /// revision. A read's value carries the revision its write was acknowledged with.
    static func check(_ history: History) -> [String] {
        var problems: [String] = []
        let known = history.operations.filter { !$0.isUnknown && $0.revision != nil && $0.client >= 0 }
        let byCompletion = known.sorted { $0.completedAt < $1.completedAt }
        var completed = 0
        var highest: (revision: Int64, op: KVOperation)?
        for op in known.sorted(by: { $0.invokedAt < $1.invokedAt }) {
            while completed < byCompletion.count && byCompletion[completed].completedAt < op.invokedAt {
                let done = byCompletion[completed]
                if highest == nil || done.revision! > highest!.revision { highest = (done.revision!, done) }
                completed += 1
            }
            guard let (revision, before) = highest, let mine = op.revision else { continue }
            if mine < revision || (op.wrote && mine == revision) {
                problems.append("revision went back: \(op.description) after \(before.description)")
            }
        }
        var writeRevisions: [Int64: KVOperation] = [:]
        var valueRevisions: [String: Int64] = [:]
        for op in known where op.wrote {
            if let other = writeRevisions[op.revision!] {
                problems.append("two writes acknowledged at revision \(op.revision!): \(other.description) and \(op.description)")
            }
            writeRevisions[op.revision!] = op
            switch op.input {
            case .put(let value), .compareAndSet(_, let value): valueRevisions[value] = op.revision!
            default: break
            }
        }
        for op in history.operations {
            let seen: String?
            switch op.output {
            case .value(let v), .compareAndSet(false, let v): seen = v
            default: continue
            }
            guard let value = seen, let written = valueRevisions[value], let modRevision = op.modRevision else { continue }
            if modRevision != written {
                problems.append("\(op.description) saw the value at revision \(modRevision), written at revision \(written)")
            }
        }
        return problems
    }
}

/// Every acknowledged write survives: after the faults end and the members agree, each key is
/// at least as new as the newest write to it any client was told succeeded.
enum DurabilityInvariant {
    static func check(_ history: History, finalValues: [String: (value: String?, modRevision: Int64?)]) -> [String] {
        var problems: [String] = []
        for (key, operations) in history.byKey {
            let acknowledged = operations.filter { $0.wrote && $0.client >= 0 }
            guard let newest = acknowledged.max(by: { $0.revision! < $1.revision! }), let final = finalValues[key] else { continue }
            if let modRevision = final.modRevision {
                if modRevision < newest.revision! {
                    problems.append("\(key) is at revision \(modRevision), older than the acknowledged \(newest.description)")
                }
            } else {
                let deleted = newest.input == .delete
                    || operations.contains { $0.input == .delete && ($0.isUnknown || $0.revision! > newest.revision!) }
                if !deleted {
                    problems.append("\(key) is gone, but no delete followed the acknowledged \(newest.description)")
                }
            }
        }
        return problems
    }
}
