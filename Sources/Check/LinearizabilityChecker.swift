/// Decides whether the operations on one key are linearizable: whether each can be given a
/// point between its call and its answer such that, taken in the order of those points, they
/// are what `KVModel` says a single copy of the key would have answered.
///
/// The algorithm is Wing and Gong's, with Lowe's memoization, as Porcupine implements it: walk
/// the calls and returns in time order; at a call, try to linearize that operation now (the
/// model accepts its answer), lift it and its return out of the list and start again from the
/// front; at a return whose call is not yet linearized, no choice made so far works, so undo the
/// last one and try the next call after it. A set of (operations linearized, state) pairs already
/// explored cuts the search, which is otherwise exponential in the concurrency. An operation with
/// an unknown outcome returns at infinity: it may take effect anywhere after its call, or never
/// (which is the same as last).
public struct LinearizabilityChecker: Sendable {
    public enum Outcome: Sendable, Hashable {
        case linearizable
        case violation
        /// The search used up its step budget without an answer.
        case unknown
    }

    /// Steps (a call tried or a choice undone) the search may take per key before it gives up.
    public var stepBudget: Int

    public init(stepBudget: Int = 2_000_000) {
        self.stepBudget = stepBudget
    }

    /// Checks one key's operations (all must name the same key).
    public func check(_ operations: [KVOperation]) -> Outcome {
        var events = EventList(operations)
        var state: KVModel.State = nil
        var linearized = BitSet(count: operations.count)
        var explored = Set<Explored>()
        var undo: [(call: Int, state: KVModel.State)] = []
        var steps = 0
        var entry = events.first
        while events.first != EventList.none {
            steps += 1
            if steps > stepBudget { return .unknown }
            if entry == EventList.none { return .violation }
            let node = events.nodes[entry]
            if node.isCall {
                let operation = operations[node.operation]
                let (legal, next) = KVModel.step(state, operation.input, operation.output)
                if legal {
                    var after = linearized
                    after.insert(node.operation)
                    if explored.insert(Explored(linearized: after, state: next)).inserted {
                        undo.append((entry, state))
                        state = next
                        linearized = after
                        events.lift(entry)
                        entry = events.first
                        continue
                    }
                }
                entry = node.next
            } else {
                // The earliest pending return: its operation must have been linearized by now.
                guard let (call, previous) = undo.popLast() else { return .violation }
                state = previous
                linearized.remove(events.nodes[call].operation)
                events.unlift(call)
                entry = events.nodes[call].next
            }
        }
        return .linearizable
    }

    private struct Explored: Hashable {
        var linearized: BitSet
        var state: KVModel.State
    }
}

/// Which operations are linearized.
struct BitSet: Hashable {
    private var words: [UInt64]

    init(count: Int) {
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }
    mutating func remove(_ i: Int) { words[i >> 6] &= ~(1 << UInt64(i & 63)) }
}

/// The calls and returns of a history in time order, as a doubly linked list whose entries can
/// be lifted out (a call with its return) and put back in the reverse order.
struct EventList {
    struct Node {
        var operation: Int
        var isCall: Bool
        /// The node of the other half of the operation.
        var match: Int
        var prev: Int
        var next: Int
    }

    static let none = -1
    /// Node 0 is the head, before every event.
    private(set) var nodes: [Node]

    init(_ operations: [KVOperation]) {
        struct Event {
            var time: UInt64
            var operation: Int
            var isCall: Bool
        }
        var events: [Event] = []
        events.reserveCapacity(2 * operations.count)
        for (i, op) in operations.enumerated() {
            precondition(op.completedAt > op.invokedAt, "operation \(i) completes at \(op.completedAt), not after its call at \(op.invokedAt)")
            events.append(Event(time: op.invokedAt, operation: i, isCall: true))
            events.append(Event(time: op.completedAt, operation: i, isCall: false))
        }
        // At equal times calls come first, so operations that touch are taken as concurrent.
        events.sort { a, b in
            if a.time != b.time { return a.time < b.time }
            if a.isCall != b.isCall { return a.isCall }
            return a.operation < b.operation
        }
        nodes = [Node(operation: -1, isCall: false, match: Self.none, prev: Self.none, next: events.isEmpty ? Self.none : 1)]
        var callNode = [Int](repeating: Self.none, count: operations.count)
        for (i, event) in events.enumerated() {
            let index = i + 1
            nodes.append(Node(operation: event.operation, isCall: event.isCall, match: Self.none, prev: index - 1,
                              next: index == events.count ? Self.none : index + 1))
            if event.isCall {
                callNode[event.operation] = index
            } else {
                nodes[index].match = callNode[event.operation]
                nodes[callNode[event.operation]].match = index
            }
        }
    }

    var first: Int { nodes[0].next }

    /// Takes a call and its return out of the list.
    mutating func lift(_ call: Int) {
        unlink(call)
        unlink(nodes[call].match)
    }

    /// Puts back a call and its return lifted last.
    mutating func unlift(_ call: Int) {
        relink(nodes[call].match)
        relink(call)
    }

    private mutating func unlink(_ i: Int) {
        let (prev, next) = (nodes[i].prev, nodes[i].next)
        nodes[prev].next = next
        if next != Self.none { nodes[next].prev = prev }
    }

    private mutating func relink(_ i: Int) {
        let (prev, next) = (nodes[i].prev, nodes[i].next)
        nodes[prev].next = i
        if next != Self.none { nodes[next].prev = i }
    }
}
