import Locking
import Cluster
import MVCC
import Raft
import Server

/// Concurrent clients doing gets, puts, deletes and compare-and-set transactions on a few keys
/// of a simulated cluster, each one operation at a time, and the history of what they saw.
///
/// Times are a counter bumped at every call and every answer, so the history's order is the
/// exact order in which the simulation made them happen. Every value written is unique, so a
/// read names the write it saw.
final class Workload: Sendable {
    struct Options {
        var clients = 5
        var keys = 3
        var operations = 200
    }

    private struct State {
        var clock: UInt64 = 0
        var history = History()
        var random: SplitMix64
        var issued = 0
        var nextValue = 0
        /// Per client: whether an operation is out, and when it may start the next one.
        var busy: [Bool]
        var readyAtNanos: [UInt64]
        /// Per client and key: the last value it saw, which its next compare-and-set expects.
        var lastSeen: [[String?]]
        /// Calls without an answer yet, by client.
        var outstanding: [Int: KVOperation] = [:]
        /// Answers that make no sense for the request: always a violation.
        var malformed: [String] = []
    }

    let options: Options
    private let state: Locked<State>

    init(options: Options, seed: UInt64) {
        self.options = options
        state = Locked(State(random: SplitMix64(seed: seed ^ 0x636c_6965_6e74),
                            busy: Array(repeating: false, count: options.clients),
                            readyAtNanos: Array(repeating: 0, count: options.clients),
                            lastSeen: Array(repeating: Array(repeating: nil, count: options.keys), count: options.clients)))
    }

    var isFinishedIssuing: Bool { state.withLock { $0.issued >= options.operations } }
    var isIdle: Bool { state.withLock { !$0.busy.contains(true) } }
    var issued: Int { state.withLock { $0.issued } }

    /// Starts an operation for every client that is free and has waited out its think time.
    func startDue(on cluster: Cluster) {
        let now = cluster.nowNanos()
        for client in 0..<options.clients {
            let call = state.withLock { s -> (KVOperation, NodeID)? in
                guard !s.busy[client], s.readyAtNanos[client] <= now, s.issued < options.operations else { return nil }
                s.issued += 1
                s.busy[client] = true
                let keyIndex = Int(s.random.next() % UInt64(options.keys))
                let roll = s.random.next() % 100
                s.nextValue += 1
                let value = String(s.nextValue)
                let input: KVInput
                switch roll {
                case 0..<35: input = .get
                case 35..<65: input = .put(value)
                case 65..<75: input = .delete
                default:
                    // Mostly the value last seen, so that many succeed; sometimes "absent".
                    let expected = s.random.next() % 4 == 0 ? nil : s.lastSeen[client][keyIndex]
                    input = .compareAndSet(expected: expected, new: value)
                }
                s.clock += 1
                let target = NodeID(s.random.next() % UInt64(cluster.ids.count)) + 1
                let op = KVOperation(client: client, key: "k\(keyIndex)", input: input, output: .unknown,
                                     invokedAt: s.clock, completedAt: KVOperation.never)
                s.outstanding[client] = op
                return (op, target)
            }
            guard let (op, target) = call else { continue }
            issue(op, via: target, on: cluster)
        }
    }

    private func issue(_ op: KVOperation, via target: NodeID, on cluster: Cluster) {
        let key = Array(op.key.utf8)
        let client = op.client
        let done: Completion = { [self] result in
            finish(client: client, result: result, at: cluster.nowNanos())
        }
        switch op.input {
        case .get:
            guard let member = cluster.member(target) else { return done(.failure(.stopped)) }
            member.range(RangeRequest(range: KeyRange(key: key)), completion: done)
        case .put(let value):
            cluster.request(.put(PutRequest(key: key, value: Array(value.utf8))), via: target, completion: done)
        case .delete:
            cluster.request(.deleteRange(DeleteRangeRequest(range: KeyRange(key: key))), via: target, completion: done)
        case .compareAndSet(let expected, let new):
            let compare = expected.map { Compare(range: KeyRange(key: key), target: .value(Array($0.utf8)), result: .equal) }
                ?? Compare(range: KeyRange(key: key), target: .version(0), result: .equal)
            let txn = TxnRequest(compare: [compare], success: [.put(PutRequest(key: key, value: Array(new.utf8)))],
                                 failure: [.range(RangeRequest(range: KeyRange(key: key)))])
            cluster.request(.txn(txn), via: target, completion: done)
        }
    }

    private func finish(client: Int, result: Result<Response, ServerError>, at nowNanos: UInt64) {
        state.withLock { s in
            guard var op = s.outstanding.removeValue(forKey: client) else { return }
            s.busy[client] = false
            s.readyAtNanos[client] = nowNanos + (s.random.next() % 40) * 1_000_000
            let keyIndex = Int(op.key.dropFirst()) ?? 0
            s.clock += 1
            guard case .success(let response) = result else {
                // A read that failed changed nothing and says nothing; a write may have happened.
                if op.input != .get { s.history.append(op) }
                return
            }
            op.completedAt = s.clock
            op.revision = response.header.revision
            switch (op.input, response.outcome) {
            case (.get, .range(let range)):
                op.output = .value(range.kvs.first.map { String(decoding: $0.value, as: UTF8.self) })
                op.modRevision = range.kvs.first?.modRevision
            case (.put, .put):
                op.output = .ok
            case (.delete, .deleteRange(let delete)):
                op.output = .deleted(delete.deleted > 0)
            case (.compareAndSet, .txn(let txn)):
                if txn.succeeded {
                    op.output = .compareAndSet(succeeded: true, current: nil)
                } else if case .range(let range)? = txn.responses.first {
                    let kv = range.kvs.first
                    op.output = .compareAndSet(succeeded: false, current: kv.map { String(decoding: $0.value, as: UTF8.self) })
                    op.modRevision = kv?.modRevision
                } else {
                    s.malformed.append("c\(client): a failed transaction answered \(txn.responses) instead of one range")
                    return
                }
            default:
                s.malformed.append("c\(client): \(op.input) answered with \(response.outcome)")
                return
            }
            switch op.output {
            case .value(let v), .compareAndSet(false, let v): s.lastSeen[client][keyIndex] = v
            case .compareAndSet(true, _):
                if case .compareAndSet(_, let new) = op.input { s.lastSeen[client][keyIndex] = new }
            default: break
            }
            s.history.append(op)
        }
    }

    /// Ends the run: calls still unanswered become unknown outcomes (reads are dropped).
    func close() -> (history: History, malformed: [String]) {
        state.withLock { s in
            for client in s.outstanding.keys.sorted() where s.outstanding[client]!.input != .get {
                s.history.append(s.outstanding[client]!)
            }
            s.outstanding = [:]
            return (s.history, s.malformed)
        }
    }

    /// Records a read made at the end, straight from a member's store, after every other call.
    func recordFinalRead(key: String, value: String?, modRevision: Int64?, revision: Int64) {
        state.withLock { s in
            s.clock += 2
            s.history.append(KVOperation(client: -1, key: key, input: .get, output: .value(value),
                                         invokedAt: s.clock - 1, completedAt: s.clock,
                                         revision: revision, modRevision: modRevision))
        }
    }
}
