import Raft

/// Checks Raft's safety properties over a run, one step at a time. It keeps what it must remember
/// (who led each term, what was committed and applied at each index) and reports every broken
/// property as a `Violation` value, never by crashing, so a runner can print it with its seed.
public struct SafetyChecker: Sendable {
    private struct LeaderLog: Sendable {
        let term: UInt64
        let log: MemberObservation
    }

    private struct CommittedEntry: Sendable {
        let entry: Entry
        /// The lowest term of a member seen knowing the entry committed: at least the term in
        /// which it was committed, so every leader of a later term must hold it.
        let commitTermBound: UInt64
    }

    private struct AppliedState: Sendable {
        /// Nil when only a snapshot at this index was seen.
        var entry: Entry?
        let digest: UInt64
        let member: NodeID
    }

    private var leaderOfTerm: [UInt64: NodeID] = [:]
    private var leaderLogs: [NodeID: LeaderLog] = [:]
    private var committed: [UInt64: CommittedEntry] = [:]
    private var committedMax: UInt64 = 0
    /// Per member, the commit index up to which its committed entries were recorded.
    private var recordedCommit: [NodeID: UInt64] = [:]
    /// Per leader's term, the committed index up to which its log was checked for completeness.
    private var completenessChecked: [UInt64: UInt64] = [:]
    private var lastCommit: [NodeID: UInt64] = [:]
    private var appliedAt: [UInt64: AppliedState] = [0: AppliedState(entry: nil, digest: 0, member: noNode)]
    private var stateMachineIndex: [NodeID: UInt64] = [:]
    /// For each pair of members, the log versions last found to match.
    private var matchedVersions: [MemberPair: (UInt64, UInt64)] = [:]

    private struct MemberPair: Hashable, Sendable {
        let a: NodeID
        let b: NodeID
    }

    public init() {}

    /// Checks the state after `step`: the `events` it caused, then every member as it now is.
    public mutating func check(step: Int, members: [MemberObservation], events: [SimEvent]) -> [Violation] {
        var violations: [Violation] = []
        for event in events {
            checkEvent(event, step: step, into: &violations)
        }
        let up = members.filter(\.isUp)
        for member in up {
            checkMember(member, step: step, into: &violations)
        }
        for member in up where member.role == .leader {
            checkLeaderCompleteness(member, step: step, into: &violations)
        }
        for (i, a) in up.enumerated() {
            for b in up[(i + 1)...] {
                let pair = MemberPair(a: a.id, b: b.id)
                if let va = a.logVersion, let vb = b.logVersion, let seen = matchedVersions[pair], seen == (va, vb) {
                    continue
                }
                let before = violations.count
                checkLogMatching(a, b, step: step, into: &violations)
                if violations.count == before, let va = a.logVersion, let vb = b.logVersion {
                    matchedVersions[pair] = (va, vb)
                }
            }
        }
        return violations
    }

    // MARK: Events

    private mutating func checkEvent(_ event: SimEvent, step: Int, into violations: inout [Violation]) {
        switch event {
        case .applied(let member, let entry, let digest):
            let expected = (stateMachineIndex[member] ?? 0) + 1
            if entry.index != expected {
                violations.append(Violation(.applyOrder, step: step, member: member, index: entry.index, term: entry.term,
                                            detail: "applied index \(entry.index), expected \(expected)"))
            }
            stateMachineIndex[member] = entry.index
            recordApplied(member: member, index: entry.index, entry: entry, digest: digest, step: step, into: &violations)
        case .restored(let member, let index, let digest):
            stateMachineIndex[member] = index
            // The commit index is volatile (Figure 2 of the paper): a member restarting after a
            // crash starts from the one it persisted, which lags when the crash cut a write.
            lastCommit[member] = nil
            recordApplied(member: member, index: index, entry: nil, digest: digest, step: step, into: &violations)
        case .readAnswered(let member, let index, let floor):
            if index < floor {
                violations.append(Violation(.linearizableRead, step: step, member: member, index: index,
                                            detail: "read index \(index) is below \(floor), committed before the read was asked"))
            }
        }
    }

    private mutating func recordApplied(
        member: NodeID, index: UInt64, entry: Entry?, digest: UInt64, step: Int, into violations: inout [Violation]
    ) {
        guard var known = appliedAt[index] else {
            appliedAt[index] = AppliedState(entry: entry, digest: digest, member: member)
            return
        }
        if let entry, let other = known.entry, entry != other {
            violations.append(Violation(.stateMachineSafety, step: step, member: member, index: index, term: entry.term,
                                        detail: "applied \(describe(entry)) where member \(known.member) applied \(describe(other))"))
        } else if digest != known.digest {
            violations.append(Violation(.stateMachineSafety, step: step, member: member, index: index, term: entry?.term,
                                        detail: "state after index \(index) differs from member \(known.member)'s: an earlier entry differs"))
        } else if known.entry == nil, let entry {
            known.entry = entry
            appliedAt[index] = known
        }
    }

    // MARK: One member

    private mutating func checkMember(_ m: MemberObservation, step: Int, into violations: inout [Violation]) {
        if m.role == .leader && m.isLearner {
            violations.append(Violation(.learnerNeverLeads, step: step, member: m.id, term: m.term,
                                        detail: "member \(m.id) leads term \(m.term) while its configuration makes it a learner"))
        }
        if m.role == .leader {
            if let other = leaderOfTerm[m.term], other != m.id {
                violations.append(Violation(.electionSafety, step: step, member: m.id, term: m.term,
                                            detail: "member \(other) already led term \(m.term)"))
            } else {
                leaderOfTerm[m.term] = m.id
            }
        }
        if m.applied > m.commit || m.stateMachineIndex > m.commit {
            violations.append(Violation(.appliedWithinCommit, step: step, member: m.id, index: m.applied,
                                        detail: "applied \(m.applied) (state machine at \(m.stateMachineIndex)) past commit \(m.commit)"))
        }
        if let previous = lastCommit[m.id], m.commit < previous {
            violations.append(Violation(.commitMonotonic, step: step, member: m.id, index: m.commit,
                                        detail: "commit went back from \(previous) to \(m.commit)"))
        }
        lastCommit[m.id] = m.commit
        recordCommitted(m, step: step, into: &violations)
        checkLeaderAppendOnly(m, step: step, into: &violations)
    }

    private mutating func recordCommitted(_ m: MemberObservation, step: Int, into violations: inout [Violation]) {
        let from = max(recordedCommit[m.id] ?? 0, m.snapshotIndex) + 1
        guard m.commit >= from else { return }
        for index in from...m.commit {
            guard let entry = m.entry(at: index) else { break }
            if let known = committed[index] {
                if known.entry != entry {
                    violations.append(Violation(.stateMachineSafety, step: step, member: m.id, index: index, term: entry.term,
                                                detail: "committed \(describe(entry)) where \(describe(known.entry)) was committed"))
                } else if m.term < known.commitTermBound {
                    committed[index] = CommittedEntry(entry: entry, commitTermBound: m.term)
                }
            } else {
                committed[index] = CommittedEntry(entry: entry, commitTermBound: m.term)
                committedMax = max(committedMax, index)
            }
        }
        recordedCommit[m.id] = m.commit
    }

    private mutating func checkLeaderAppendOnly(_ m: MemberObservation, step: Int, into violations: inout [Violation]) {
        guard m.role == .leader else {
            leaderLogs[m.id] = nil
            return
        }
        defer { leaderLogs[m.id] = LeaderLog(term: m.term, log: m) }
        guard let before = leaderLogs[m.id]?.log, before.term == m.term else { return }
        if let version = m.logVersion, version == before.logVersion { return }
        if m.lastIndex < before.lastIndex {
            violations.append(Violation(.leaderAppendOnly, step: step, member: m.id, index: m.lastIndex, term: m.term,
                                        detail: "leader's last index went back from \(before.lastIndex) to \(m.lastIndex)"))
            return
        }
        let lo = max(before.snapshotIndex, m.snapshotIndex) + 1
        if lo <= before.lastIndex {
            for index in lo...before.lastIndex where m.entry(at: index) != before.entry(at: index) {
                violations.append(Violation(.leaderAppendOnly, step: step, member: m.id, index: index, term: m.term,
                                            detail: "leader replaced \(describe(before.entry(at: index)!)) with \(describe(m.entry(at: index)!))"))
                return
            }
        }
        let newFrom = max(before.lastIndex, m.snapshotIndex) + 1
        if newFrom <= m.lastIndex {
            for index in newFrom...m.lastIndex {
                let entry = m.entry(at: index)!
                if entry.term != m.term {
                    violations.append(Violation(.leaderAppendOnly, step: step, member: m.id, index: index, term: m.term,
                                                detail: "leader of term \(m.term) appended \(describe(entry))"))
                    return
                }
            }
        }
    }

    // MARK: Across members

    private mutating func checkLeaderCompleteness(_ m: MemberObservation, step: Int, into violations: inout [Violation]) {
        let from = (completenessChecked[m.term] ?? 0) + 1
        completenessChecked[m.term] = max(committedMax, from - 1)
        guard from <= committedMax else { return }
        for index in from...committedMax {
            guard let known = committed[index], known.commitTermBound < m.term, index >= m.snapshotIndex else { continue }
            if m.term(at: index) != known.entry.term {
                let has = m.entry(at: index).map(describe) ?? "nothing"
                violations.append(Violation(.leaderCompleteness, step: step, member: m.id, index: index, term: m.term,
                                            detail: "leader holds \(has) where \(describe(known.entry)) was committed"))
                return
            }
        }
    }

    private func checkLogMatching(_ a: MemberObservation, _ b: MemberObservation, step: Int, into violations: inout [Violation]) {
        let lo = max(a.snapshotIndex, b.snapshotIndex)
        let hi = min(a.lastIndex, b.lastIndex)
        guard lo <= hi else { return }
        // The highest index where both logs hold the same term: everything up to it must agree.
        var match = hi
        while match > lo && a.term(at: match) != b.term(at: match) {
            match -= 1
        }
        if match == lo && a.term(at: lo) != b.term(at: lo) { return }
        guard match > lo else { return }
        for index in (lo + 1)...match where a.entry(at: index) != b.entry(at: index) {
            violations.append(Violation(.logMatching, step: step, member: a.id, index: index,
                                        detail: "holds \(describe(a.entry(at: index)!)) where member \(b.id) holds \(describe(b.entry(at: index)!)), though both hold index \(match) of term \(a.term(at: match)!)"))
            return
        }
        if a.term(at: lo) != b.term(at: lo) {
            violations.append(Violation(.logMatching, step: step, member: a.id, index: lo,
                                        detail: "term \(a.term(at: lo)!) at \(lo) where member \(b.id) has \(b.term(at: lo)!), though both hold index \(match) of term \(a.term(at: match)!)"))
        }
    }
}

/// An entry as a violation names it: index, term and a short look at the data.
func describe(_ entry: Entry) -> String {
    let kind = entry.type == .confChange ? " conf change" : ""
    let bytes = entry.data.prefix(8).map { String($0, radix: 16) }.joined(separator: " ")
    return "entry \(entry.index)/term \(entry.term)\(kind) [\(bytes)\(entry.data.count > 8 ? " ..." : "")]"
}
