/// Makes a non-linearizable history small enough to read, keeping it a violation for the same
/// reason as the original: it drops operations, each drop kept only if the rest still fails
/// (delta debugging, greedily, bounded by a number of checks).
///
/// Dropping a write can make a history fail for a reason of its own (a read of a value nobody
/// writes any more, a delete with nothing to delete), so reads go first, in chunks and then one
/// at a time, and then only writes that nothing left depends on: puts whose value no one saw
/// and that no delete follows. Deletes that found the key stay.
public struct HistoryShrinker: Sendable {
    public var checker: LinearizabilityChecker
    /// The most times the checker may be run.
    public var checksMax: Int

    public init(checker: LinearizabilityChecker = LinearizabilityChecker(stepBudget: 200_000), checksMax: Int = 2000) {
        self.checker = checker
        self.checksMax = checksMax
    }

    /// A sub-history of `operations` (one key's) that is still a violation; `operations` itself
    /// when it is not a violation.
    public func shrink(_ operations: [KVOperation]) -> [KVOperation] {
        var checks = 0
        func fails(_ candidate: [KVOperation]) -> Bool {
            guard checks < checksMax, !candidate.isEmpty else { return false }
            checks += 1
            return checker.check(candidate) == .violation
        }
        guard fails(operations) else { return operations }
        var current = operations
        // Reads: any subset of them leaves every write in place.
        var chunk = max(1, current.count / 2)
        while checks < checksMax {
            var end = current.count
            var removedAny = false
            // From the end back, so a removal leaves the positions still to try where they were.
            while end > 0 && checks < checksMax {
                let start = max(0, end - chunk)
                end = start
                guard current[start..<max(start + chunk, start)].prefix(chunk).allSatisfy({ !Self.writes($0) }) else { continue }
                var candidate = current
                candidate.removeSubrange(start..<min(start + chunk, current.count))
                if fails(candidate) {
                    current = candidate
                    removedAny = true
                }
            }
            if chunk == 1 && !removedAny { break }
            chunk = max(1, chunk / 2)
        }
        // Writes nothing left depends on, one at a time.
        var i = current.count - 1
        while i >= 0 && checks < checksMax {
            if Self.canDrop(i, from: current) {
                var candidate = current
                candidate.remove(at: i)
                if fails(candidate) { current = candidate }
            }
            i -= 1
        }
        return current
    }

    /// Whether the operation changed the key, or may have.
    static func writes(_ op: KVOperation) -> Bool {
        switch (op.input, op.output) {
        case (.get, _), (.delete, .deleted(false)), (.compareAndSet, .compareAndSet(false, _)): false
        default: true
        }
    }

    /// A put (or compare-and-set) whose value no operation in `operations` saw or expected, and
    /// after which the next write is not a delete.
    static func canDrop(_ i: Int, from operations: [KVOperation]) -> Bool {
        let op = operations[i]
        let value: String
        switch op.input {
        case .put(let v), .compareAndSet(_, let v): value = v
        default: return false
        }
        for other in operations {
            switch (other.input, other.output) {
            case (_, .value(value?)), (_, .compareAndSet(false, value?)), (.compareAndSet(value?, _), _): return false
            default: continue
            }
        }
        let next = operations.filter { writes($0) && $0.invokedAt > op.invokedAt }.min { $0.invokedAt < $1.invokedAt }
        return next?.input != .delete
    }
}
