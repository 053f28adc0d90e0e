import RaftSimulation
import Testing
@testable import Raft

/// The checker must catch each broken invariant: histories that break one, and one that breaks none.
@Suite struct SafetyCheckerTests {
    private func entry(_ index: UInt64, _ term: UInt64, _ text: String = "") -> Entry {
        Entry(term: term, index: index, data: Array(text.utf8))
    }

    /// A member whose log is `entries` from index 1.
    private func member(
        _ id: NodeID, _ role: StateRole, term: UInt64 = 1, commit: UInt64 = 0, applied: UInt64 = 0,
        _ entries: [Entry]
    ) -> MemberObservation {
        MemberObservation(id: id, role: role, term: term, commit: commit, applied: applied, entries: entries)
    }

    /// A follower whose log is `entries` from index 1.
    private func member(
        _ id: NodeID, term: UInt64 = 1, commit: UInt64 = 0, applied: UInt64 = 0, _ entries: [Entry]
    ) -> MemberObservation {
        member(id, .follower, term: term, commit: commit, applied: applied, entries)
    }

    private func invariants(_ violations: [Violation]) -> Set<Invariant> {
        Set(violations.map(\.invariant))
    }

    @Test func healthyGroupHasNoViolations() {
        var checker = SafetyChecker()
        let log = [entry(1, 1, "a"), entry(2, 2, "b")]
        let first = checker.check(step: 1, members: [
            member(1, .leader, term: 2, commit: 2, applied: 2, log),
            member(2, term: 2, commit: 1, applied: 1, Array(log.prefix(1))),
        ], events: [
            .applied(member: 1, entry: log[0], digest: 10),
            .applied(member: 2, entry: log[0], digest: 10),
        ])
        #expect(first.isEmpty)
        let second = checker.check(step: 2, members: [
            member(1, .leader, term: 2, commit: 3, applied: 2, log + [entry(3, 2, "c")]),
            member(2, term: 2, commit: 2, applied: 1, log),
        ], events: [])
        #expect(second.isEmpty)
    }

    @Test func twoLeadersInOneTerm() {
        var checker = SafetyChecker()
        let violations = checker.check(step: 7, members: [
            member(1, .leader, term: 3, []),
            member(2, .leader, term: 3, []),
        ], events: [])
        #expect(invariants(violations) == [.electionSafety])
        #expect(violations.first?.step == 7)
        #expect(violations.first?.term == 3)
    }

    @Test func twoLeadersInOneTermAtDifferentSteps() {
        var checker = SafetyChecker()
        #expect(checker.check(step: 1, members: [member(1, .leader, term: 3, [])], events: []).isEmpty)
        let violations = checker.check(step: 2, members: [member(1, term: 4, []), member(2, .leader, term: 3, [])], events: [])
        #expect(invariants(violations) == [.electionSafety])
    }

    @Test func leaderOverwritesItsEntry() {
        var checker = SafetyChecker()
        _ = checker.check(step: 1, members: [member(1, .leader, term: 2, [entry(1, 1), entry(2, 2, "x")])], events: [])
        let violations = checker.check(step: 2, members: [member(1, .leader, term: 2, [entry(1, 1), entry(2, 2, "y")])], events: [])
        #expect(invariants(violations) == [.leaderAppendOnly])
        #expect(violations.first?.index == 2)
    }

    @Test func leaderTruncatesItsLog() {
        var checker = SafetyChecker()
        _ = checker.check(step: 1, members: [member(1, .leader, term: 2, [entry(1, 1), entry(2, 2)])], events: [])
        let violations = checker.check(step: 2, members: [member(1, .leader, term: 2, [entry(1, 1)])], events: [])
        #expect(invariants(violations) == [.leaderAppendOnly])
    }

    @Test func leaderAppendsAnEntryOfAnotherTerm() {
        var checker = SafetyChecker()
        _ = checker.check(step: 1, members: [member(1, .leader, term: 2, [entry(1, 2)])], events: [])
        let violations = checker.check(step: 2, members: [member(1, .leader, term: 2, [entry(1, 2), entry(2, 1)])], events: [])
        #expect(invariants(violations) == [.leaderAppendOnly])
    }

    @Test func logsAgreeAtAnIndexButDifferBefore() {
        var checker = SafetyChecker()
        let violations = checker.check(step: 1, members: [
            member(1, [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "c")]),
            member(2, [entry(1, 1, "x"), entry(2, 1, "b"), entry(3, 2, "c")]),
        ], events: [])
        #expect(invariants(violations) == [.logMatching])
        #expect(violations.first?.index == 1)
    }

    @Test func logsThatDivergeAfterTheirLastCommonTermAreFine() {
        var checker = SafetyChecker()
        let violations = checker.check(step: 1, members: [
            member(1, [entry(1, 1, "a"), entry(2, 2, "b")]),
            member(2, [entry(1, 1, "a"), entry(2, 3, "c"), entry(3, 3, "d")]),
        ], events: [])
        #expect(violations.isEmpty)
    }

    @Test func laterLeaderLacksACommittedEntry() {
        var checker = SafetyChecker()
        let log = [entry(1, 1, "a"), entry(2, 1, "b")]
        #expect(checker.check(step: 1, members: [member(1, .leader, term: 1, commit: 2, log)], events: []).isEmpty)
        let violations = checker.check(step: 2, members: [
            member(1, term: 2, commit: 2, log),
            member(2, .leader, term: 2, commit: 1, [entry(1, 1, "a")]),
        ], events: [])
        #expect(invariants(violations) == [.leaderCompleteness])
        #expect(violations.first?.index == 2)
    }

    @Test func staleLeaderOfAnEarlierTermMayLackALaterCommit() {
        var checker = SafetyChecker()
        _ = checker.check(step: 1, members: [member(1, .leader, term: 3, commit: 2, [entry(1, 1), entry(2, 3)])], events: [])
        let violations = checker.check(step: 2, members: [member(2, .leader, term: 2, [entry(1, 1)])], events: [])
        #expect(violations.isEmpty)
    }

    @Test func twoMembersApplyDifferentEntriesAtOneIndex() {
        var checker = SafetyChecker()
        let violations = checker.check(step: 4, members: [], events: [
            .applied(member: 1, entry: entry(1, 1, "a"), digest: 1),
            .applied(member: 2, entry: entry(1, 1, "b"), digest: 2),
        ])
        #expect(invariants(violations) == [.stateMachineSafety])
        #expect(violations.first?.member == 2)
        #expect(violations.first?.index == 1)
    }

    @Test func restartedMemberReappliesADifferentEntry() {
        var checker = SafetyChecker()
        _ = checker.check(step: 1, members: [], events: [.applied(member: 1, entry: entry(1, 1, "a"), digest: 1)])
        let violations = checker.check(step: 2, members: [], events: [
            .restored(member: 1, index: 0, digest: 0),
            .applied(member: 1, entry: entry(1, 1, "b"), digest: 2),
        ])
        #expect(invariants(violations) == [.stateMachineSafety])
    }

    @Test func snapshotStateDiffersFromAppliedState() {
        var checker = SafetyChecker()
        _ = checker.check(step: 1, members: [], events: [.applied(member: 1, entry: entry(1, 1, "a"), digest: 1)])
        let violations = checker.check(step: 2, members: [], events: [.restored(member: 2, index: 1, digest: 99)])
        #expect(invariants(violations) == [.stateMachineSafety])
    }

    @Test func twoMembersCommitDifferentEntriesAtOneIndex() {
        var checker = SafetyChecker()
        let violations = checker.check(step: 1, members: [
            member(1, commit: 1, [entry(1, 1, "a")]),
            member(2, commit: 1, [entry(1, 2, "b")]),
        ], events: [])
        #expect(invariants(violations) == [.stateMachineSafety])
    }

    @Test func commitGoesBack() {
        var checker = SafetyChecker()
        let log = [entry(1, 1), entry(2, 1), entry(3, 1)]
        _ = checker.check(step: 1, members: [member(1, commit: 3, log)], events: [])
        let violations = checker.check(step: 2, members: [member(1, commit: 2, log)], events: [])
        #expect(invariants(violations) == [.commitMonotonic])
    }

    @Test func appliedPastCommit() {
        var checker = SafetyChecker()
        let violations = checker.check(step: 1, members: [member(1, commit: 1, applied: 2, [entry(1, 1), entry(2, 1)])], events: [])
        #expect(invariants(violations) == [.appliedWithinCommit])
    }

    @Test func appliedOutOfOrder() {
        var checker = SafetyChecker()
        let violations = checker.check(step: 1, members: [], events: [.applied(member: 1, entry: entry(2, 1), digest: 1)])
        #expect(invariants(violations) == [.applyOrder])
    }

    @Test func readAnsweredBelowWhatWasCommitted() {
        var checker = SafetyChecker()
        let violations = checker.check(step: 1, members: [], events: [.readAnswered(member: 1, index: 4, floor: 5)])
        #expect(invariants(violations) == [.linearizableRead])
        #expect(checker.check(step: 2, members: [], events: [.readAnswered(member: 1, index: 5, floor: 5)]).isEmpty)
    }

    @Test func crashedMembersAreNotChecked() {
        var checker = SafetyChecker()
        var down = member(2, .leader, term: 3, [])
        down.isUp = false
        #expect(checker.check(step: 1, members: [member(1, .leader, term: 3, []), down], events: []).isEmpty)
    }
}
