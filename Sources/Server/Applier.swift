import MVCC
import Raft

/// The applied side of a member: the store, and where in the log it stands.
/// Guarded by the member's apply lock; only the apply loop writes it.
struct Applier {
    let store = MVCCStore()
    private(set) var appliedIndex: UInt64 = 0
    private(set) var confState = ConfState()
    /// The index of the last snapshot taken or installed.
    var snapshotIndex: UInt64 = 0

    /// Loads a snapshot: the store's state and the configuration at its index.
    mutating func install(_ snapshot: Snapshot) throws(ServerError) {
        do {
            try store.restore(fromSnapshot: snapshot.data)
        } catch {
            throw .store(error)
        }
        appliedIndex = snapshot.metadata.index
        confState = snapshot.metadata.confState
        snapshotIndex = snapshot.metadata.index
    }

    mutating func setConfState(_ state: ConfState) {
        confState = state
    }

    /// Applies one committed normal entry. Returns the request id and what to answer, or nil for
    /// an entry with nothing to answer (a leader's empty entry, or one applied before a restart).
    mutating func apply(_ entry: Entry, term: UInt64, member: NodeID) -> (UInt64, Result<Response, ServerError>)? {
        precondition(entry.index <= appliedIndex + 1, "applying entry \(entry.index) after \(appliedIndex): a gap in the log")
        guard entry.index > store.consistentIndex else { return nil }
        defer {
            appliedIndex = entry.index
            store.setConsistentIndex(entry.index)
        }
        guard entry.type == .normal, !entry.data.isEmpty else { return nil }
        let request: InternalRequest
        do {
            request = try InternalRequest(decoding: entry.data)
        } catch {
            // Every member skips the same undecodable entry, so they stay in agreement.
            return InternalRequest.peekID(entry.data).map { ($0, .failure(.malformedRequest(error.description))) }
        }
        return (request.id, execute(request.operation, term: term, member: member))
    }

    /// Marks a configuration entry applied.
    mutating func skip(_ entry: Entry) {
        guard entry.index > store.consistentIndex else { return }
        appliedIndex = entry.index
        store.setConsistentIndex(entry.index)
    }

    private func execute(_ operation: InternalRequest.Operation, term: UInt64, member: NodeID) -> Result<Response, ServerError> {
        do {
            let outcome: Response.Outcome
            switch operation {
            case .put(let put): outcome = .put(try store.put(put))
            case .deleteRange(let delete): outcome = .deleteRange(try store.deleteRange(delete))
            case .txn(let txn): outcome = .txn(try store.txn(txn))
            case .compact(let revision):
                try store.compact(revision)
                outcome = .compact
            }
            return .success(Response(header: header(term: term, member: member), outcome: outcome))
        } catch {
            return .failure(.store(error))
        }
    }

    func read(_ request: RangeRequest, term: UInt64, member: NodeID) -> Result<Response, ServerError> {
        do {
            let result = try store.range(request)
            return .success(Response(header: header(term: term, member: member), outcome: .range(result)))
        } catch {
            return .failure(.store(error))
        }
    }

    private func header(term: UInt64, member: NodeID) -> ResponseHeader {
        ResponseHeader(memberID: member, revision: store.currentRevision, raftTerm: term)
    }
}
