import Check
import Testing

/// Operations on one key, written as in a history: `op(1, 2, .put("a"))` is a put called at 1
/// and answered at 2; a nil answer time is an unknown outcome.
private func op(_ invoked: UInt64, _ completed: UInt64?, _ input: KVInput, _ output: KVOutput = .ok,
                client: Int = 0) -> KVOperation {
    KVOperation(client: client, key: "k", input: input, output: completed == nil ? .unknown : output,
                invokedAt: invoked, completedAt: completed ?? KVOperation.never)
}

private let checker = LinearizabilityChecker()

@Suite struct LinearizabilityCheckerTests {
    // MARK: Histories that are not linearizable

    @Test func aStaleReadIsRejected() {
        // The put of b finished before the read began, yet the read saw a.
        let history = [op(1, 2, .put("a")), op(3, 4, .put("b")), op(5, 6, .get, .value("a"))]
        #expect(checker.check(history) == .violation)
    }

    @Test func aLostWriteIsRejected() {
        // An acknowledged put, then reads that never see it.
        let history = [op(1, 2, .put("a")), op(3, 4, .get, .value(nil), client: 1)]
        #expect(checker.check(history) == .violation)
    }

    @Test func aWriteSeenThenUnseenIsRejected() {
        // Concurrent with the put, one read sees it, and a later read does not.
        let history = [op(1, 10, .put("a")), op(2, 3, .get, .value("a"), client: 1), op(4, 5, .get, .value(nil), client: 2)]
        #expect(checker.check(history) == .violation)
    }

    @Test func aValueNobodyWroteIsRejected() {
        #expect(checker.check([op(1, 2, .get, .value("x"))]) == .violation)
    }

    @Test func aCompareAndSetThatSucceededAgainstTheWrongValueIsRejected() {
        let history = [op(1, 2, .put("a")), op(3, 4, .compareAndSet(expected: "b", new: "c"), .compareAndSet(succeeded: true, current: nil))]
        #expect(checker.check(history) == .violation)
    }

    @Test func twoCompareAndSetsFromTheSameValueCannotBothSucceed() {
        let history = [op(1, 2, .put("a")),
                       op(3, 6, .compareAndSet(expected: "a", new: "b"), .compareAndSet(succeeded: true, current: nil)),
                       op(4, 7, .compareAndSet(expected: "a", new: "c"), .compareAndSet(succeeded: true, current: nil), client: 1)]
        #expect(checker.check(history) == .violation)
    }

    @Test func aDeleteOfAnAbsentKeyThatFoundItIsRejected() {
        #expect(checker.check([op(1, 2, .delete, .deleted(true))]) == .violation)
        #expect(checker.check([op(1, 2, .put("a")), op(3, 4, .delete, .deleted(false))]) == .violation)
    }

    @Test func anUnknownWriteCannotTakeEffectBeforeItsCall() {
        // The read that saw b ended before the put of b began.
        let history = [op(1, 2, .get, .value("b")), op(3, nil, .put("b"))]
        #expect(checker.check(history) == .violation)
    }

    // MARK: Histories that are linearizable

    @Test func concurrentWritesMayLandInEitherOrder() {
        let history = [op(1, 5, .put("a")), op(2, 6, .put("b"), client: 1),
                       op(7, 8, .get, .value("a"), client: 2), op(9, 10, .get, .value("a"), client: 2)]
        #expect(checker.check(history) == .linearizable)
    }

    @Test func aReadConcurrentWithAWriteMaySeeEitherValue() {
        let history = [op(1, 2, .put("a")), op(3, 8, .put("b")),
                       op(4, 5, .get, .value("a"), client: 1), op(6, 7, .get, .value("b"), client: 2)]
        #expect(checker.check(history) == .linearizable)
    }

    @Test func anUnknownWriteMayTakeEffectLateOrNever() {
        let late = [op(1, nil, .put("a")), op(2, 3, .get, .value(nil), client: 1), op(4, 5, .get, .value("a"), client: 1)]
        #expect(checker.check(late) == .linearizable)
        let never = [op(1, nil, .put("a")), op(2, 3, .get, .value(nil), client: 1), op(40, 50, .get, .value(nil), client: 1)]
        #expect(checker.check(never) == .linearizable)
    }

    @Test func compareAndSetsChainAndFailuresSeeTheWinner() {
        let history = [op(1, 2, .put("a")),
                       op(3, 6, .compareAndSet(expected: "a", new: "b"), .compareAndSet(succeeded: true, current: nil)),
                       op(4, 7, .compareAndSet(expected: "a", new: "c"), .compareAndSet(succeeded: false, current: "b"), client: 1),
                       op(8, 9, .compareAndSet(expected: nil, new: "d"), .compareAndSet(succeeded: false, current: "b")),
                       op(10, 11, .delete, .deleted(true)),
                       op(12, 13, .compareAndSet(expected: nil, new: "e"), .compareAndSet(succeeded: true, current: nil)),
                       op(14, 15, .get, .value("e"))]
        #expect(checker.check(history) == .linearizable)
    }

    @Test func manyConcurrentClientsStayFast() {
        // 8 clients, 30 rounds each of overlapping put-then-get: the memo keeps the search small.
        var history: [KVOperation] = []
        var t: UInt64 = 1
        for round in 0..<30 {
            for c in 0..<8 { history.append(op(t + UInt64(c), t + 20, .put("v\(round)-\(c)"), client: c)) }
            t += 21
            for c in 0..<8 { history.append(op(t + UInt64(c), t + 10, .get, .value("v\(round)-7"), client: c)) }
            t += 11
        }
        #expect(checker.check(history) == .linearizable)
    }

    @Test func theBudgetTurnsALongSearchIntoUnknown() {
        let history = [op(1, 2, .put("a")), op(3, 4, .get, .value("a")), op(5, 6, .get, .value("a"))]
        #expect(LinearizabilityChecker(stepBudget: 2).check(history) == .unknown)
    }

    // MARK: Shrinking

    @Test func aShrunkHistoryStillFailsAndKeepsTheWritesItsReadsSaw() {
        var history = [op(1, 2, .put("a"))]
        for i in 0..<20 { history.append(op(3 + 2 * UInt64(i), 4 + 2 * UInt64(i), .get, .value("a"), client: 1)) }
        history.append(op(50, 51, .put("b")))
        history.append(op(52, 53, .get, .value("a"), client: 2))
        let shrunk = HistoryShrinker().shrink(history)
        #expect(checker.check(shrunk) == .violation)
        #expect(shrunk.count == 3, "\(shrunk.map(\.description))")
        #expect(shrunk.contains { $0.input == .put("a") })
    }
}
