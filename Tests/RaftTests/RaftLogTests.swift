import Testing
@testable import Raft

/// RaftLog: the persisted log in storage followed by the unstable part, with commit and applied.
@Suite struct RaftLogTests {
    /// A log with `stored` terms in storage (from index 1) and `unstable` terms after them.
    func makeLog(stored: [UInt64], unstable: [UInt64] = [], compactTo: UInt64 = 0) -> RaftLog {
        let storage = makeStorage(voters: [1], terms: stored)
        if compactTo > 0 { try! storage.compact(upTo: compactTo) }
        var log = RaftLog(storage: storage, maxCommittedSizePerReady: .max)
        log.append(entries(terms: unstable, from: UInt64(stored.count) + 1))
        return log
    }

    @Test func findConflict() {
        let log = makeLog(stored: [1, 2, 3])
        // (entries, first conflicting index or 0)
        let cases: [([Entry], UInt64)] = [
            ([], 0),
            (entries(terms: [1, 2, 3], from: 1), 0),
            (entries(terms: [2, 3], from: 2), 0),
            (entries(terms: [3], from: 3), 0),
            // New entries past the end.
            (entries(terms: [1, 2, 3, 4, 4], from: 1), 4),
            (entries(terms: [3, 4], from: 3), 4),
            (entries(terms: [4], from: 4), 4),
            // Conflicts with existing entries.
            (entries(terms: [4, 4], from: 1), 1),
            (entries(terms: [1, 4, 4], from: 1), 2),
            (entries(terms: [2, 4, 4], from: 2), 3),
        ]
        for (ents, want) in cases {
            #expect(log.findConflict(ents) == want, "\(ents.indexes) \(ents.terms)")
        }
    }

    @Test func findConflictByTerm() {
        // Log terms from index 1: 1 1 2 2 2 5 5
        let log = makeLog(stored: [1, 1, 2, 2, 2], unstable: [5, 5])
        // (index, term, want index, want term)
        let cases: [(UInt64, UInt64, UInt64, UInt64)] = [
            (7, 5, 7, 5),
            (7, 4, 5, 2),   // skips all of term 5
            (7, 2, 5, 2),
            (7, 1, 2, 1),   // skips terms 5 and 2
            (7, 0, 0, 0),
            (4, 1, 2, 1),
            (2, 1, 2, 1),
            (1, 0, 0, 0),
            (7, 9, 7, 5),
        ]
        for (index, term, wantIndex, wantTerm) in cases {
            let got = log.findConflictByTerm(index: index, term: term)
            #expect(got.index == wantIndex && got.term == wantTerm, "(\(index), \(term)) -> \(got)")
        }
    }

    @Test func findConflictByTermStopsAtCompaction() {
        // Entries 1...3 compacted, dummy at 3 (term 2), then 4: 3, 5: 3.
        let log = makeLog(stored: [1, 2, 2, 3, 3], compactTo: 3)
        #expect(log.findConflictByTerm(index: 5, term: 2) == (3, 2))
        let below = log.findConflictByTerm(index: 5, term: 1)
        #expect(below.index == 2 && below.term == 0)
    }

    @Test func maybeAppend() {
        // Each case starts from a log of terms 1 2 3 with commit 1.
        // (prev index, prev term, leader commit, entries, want last new, want commit, want terms)
        let cases: [(UInt64, UInt64, UInt64, [Entry], UInt64?, UInt64, [UInt64])] = [
            // Mismatch: refused, nothing changes.
            (3, 2, 3, entries(terms: [4], from: 4), nil, 1, [1, 2, 3]),
            (4, 3, 3, entries(terms: [4], from: 5), nil, 1, [1, 2, 3]),
            // Match at the end.
            (3, 3, 3, [], 3, 3, [1, 2, 3]),
            (3, 3, 4, [], 3, 3, [1, 2, 3]),        // commit bounded by last new
            (3, 3, 2, [], 3, 2, [1, 2, 3]),
            (3, 3, 4, entries(terms: [4], from: 4), 4, 4, [1, 2, 3, 4]),
            (3, 3, 4, entries(terms: [4, 4], from: 4), 5, 4, [1, 2, 3, 4, 4]),
            // Match in the middle: only the prefix the leader sent is known to match.
            (2, 2, 4, [], 2, 2, [1, 2, 3]),
            (2, 2, 4, entries(terms: [3], from: 3), 3, 3, [1, 2, 3]),
            // Conflict: the suffix is replaced.
            (1, 1, 1, entries(terms: [4], from: 2), 2, 1, [1, 4]),
            (2, 2, 3, entries(terms: [4, 4], from: 3), 4, 3, [1, 2, 4, 4]),
        ]
        for (prev, prevTerm, commit, ents, wantLast, wantCommit, wantTerms) in cases {
            var log = makeLog(stored: [1, 2, 3])
            log.commitTo(1)
            let last = log.maybeAppend(index: prev, logTerm: prevTerm, committed: commit, entries: ents)
            #expect(last == wantLast, "prev (\(prev), \(prevTerm)) \(ents.terms)")
            #expect(log.committed == wantCommit)
            let all = try? log.slice(1, log.lastIndex + 1, maxSizeBytes: .max)
            #expect(all?.terms == wantTerms)
        }
    }

    @Test func isUpToDate() {
        let log = makeLog(stored: [1, 2, 3])
        #expect(log.isUpToDate(lastIndex: 3, lastTerm: 3))
        #expect(log.isUpToDate(lastIndex: 4, lastTerm: 3))
        #expect(!log.isUpToDate(lastIndex: 2, lastTerm: 3))
        // A higher last term wins regardless of length.
        #expect(log.isUpToDate(lastIndex: 1, lastTerm: 4))
        #expect(!log.isUpToDate(lastIndex: 9, lastTerm: 2))
    }

    @Test func termBounds() throws {
        let log = makeLog(stored: [1, 2, 3, 4], unstable: [5], compactTo: 2)
        #expect(throws: RaftError.compacted) { try log.term(1) }
        #expect(try log.term(2) == 2)
        #expect(try log.term(4) == 4)
        #expect(try log.term(5) == 5)
        #expect(throws: RaftError.unavailable) { try log.term(6) }
        #expect(log.lastTerm == 5)
        #expect(log.firstIndex == 3)
        #expect(log.lastIndex == 5)
    }

    @Test func sliceAcrossStorageAndUnstable() throws {
        // Storage: 3...5 (compacted to 2), unstable: 6, 7.
        let log = makeLog(stored: [1, 2, 3, 4, 5], unstable: [6, 7], compactTo: 2)
        let one = UInt64(Entry().sizeBytes)
        #expect(throws: RaftError.compacted) { try log.slice(2, 5, maxSizeBytes: .max) }
        #expect(try log.slice(3, 3, maxSizeBytes: .max).isEmpty)
        #expect(try log.slice(3, 6, maxSizeBytes: .max).terms == [3, 4, 5])
        #expect(try log.slice(6, 8, maxSizeBytes: .max).terms == [6, 7])
        #expect(try log.slice(4, 8, maxSizeBytes: .max).terms == [4, 5, 6, 7])
        // Size limits, inside storage, at the boundary and inside the unstable part.
        #expect(try log.slice(3, 8, maxSizeBytes: 0).terms == [3])
        #expect(try log.slice(3, 8, maxSizeBytes: 2 * one).terms == [3, 4])
        #expect(try log.slice(3, 8, maxSizeBytes: 3 * one).terms == [3, 4, 5])
        #expect(try log.slice(3, 8, maxSizeBytes: 4 * one).terms == [3, 4, 5, 6])
        #expect(try log.slice(5, 8, maxSizeBytes: 2 * one).terms == [5, 6])
        #expect(try log.slice(6, 8, maxSizeBytes: one).terms == [6])
        #expect(try log.entries(from: 7, maxSizeBytes: .max).terms == [7])
        #expect(try log.entries(from: 8, maxSizeBytes: .max).isEmpty)
    }

    @Test func appendTruncatesUncommittedSuffix() {
        var log = makeLog(stored: [1, 1, 1])
        log.commitTo(1)
        #expect(log.append(entries(terms: [2, 2], from: 2)) == 3)
        #expect(log.unstableEntries.indexes == [2, 3])
        #expect(log.termOrZero(2) == 2)
        #expect(log.append(entries(terms: [2, 3], from: 4)) == 5)
        #expect(log.lastTerm == 3)
    }

    @Test func maybeCommitOnlyAtTheGivenTerm() {
        var log = makeLog(stored: [1, 1, 2])
        #expect(log.maybeCommit(index: 3, term: 1) == false)
        #expect(log.committed == 0)
        #expect(log.maybeCommit(index: 2, term: 1) == true)
        #expect(log.committed == 2)
        // Never goes back.
        #expect(log.maybeCommit(index: 1, term: 1) == false)
        log.commitTo(1)
        #expect(log.committed == 2)
        #expect(log.maybeCommit(index: 3, term: 2) == true)
    }

    @Test func nextCommittedEntriesFollowApplied() {
        var log = makeLog(stored: [1, 1], unstable: [1, 2])
        #expect(!log.hasNextCommittedEntries)
        log.commitTo(3)
        #expect(log.hasNextCommittedEntries)
        #expect(log.nextCommittedEntries().indexes == [1, 2, 3])
        log.appliedTo(2)
        #expect(log.nextCommittedEntries().indexes == [3])
        log.appliedTo(3)
        #expect(!log.hasNextCommittedEntries)
        #expect(log.nextCommittedEntries().isEmpty)
    }

    @Test func nextCommittedEntriesBoundedBySize() {
        let storage = makeStorage(voters: [1], terms: [1, 1, 1, 1])
        var log = RaftLog(storage: storage, maxCommittedSizePerReady: UInt64(2 * Entry().sizeBytes))
        log.commitTo(4)
        #expect(log.nextCommittedEntries().indexes == [1, 2])
        log.appliedTo(2)
        #expect(log.nextCommittedEntries().indexes == [3, 4])
    }

    @Test func stableToMovesEntriesOutOfUnstable() {
        var log = makeLog(stored: [1], unstable: [2, 2])
        log.stableTo(index: 2, term: 2)
        #expect(log.unstableEntries.indexes == [3])
        // A stale acknowledgement for a replaced entry changes nothing.
        log.stableTo(index: 3, term: 1)
        #expect(log.unstableEntries.indexes == [3])
    }

    @Test func restoreStartsAfterTheSnapshot() throws {
        var log = makeLog(stored: [1, 1, 1])
        let snap = Snapshot(metadata: SnapshotMetadata(index: 10, term: 3, confState: ConfState(voters: [1])))
        log.restore(snap)
        #expect(log.committed == 10)
        #expect(log.firstIndex == 11)
        #expect(log.lastIndex == 10)
        #expect(log.lastTerm == 3)
        #expect(log.hasPendingSnapshot)
        #expect(try log.snapshot() == snap)
        log.stableSnapshotTo(index: 10)
        #expect(!log.hasPendingSnapshot)
    }
}
