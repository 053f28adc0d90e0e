import Testing
@testable import Raft

/// UnstableLog: entries and a snapshot that Raft holds and the application has not persisted.
@Suite struct UnstableLogTests {
    func makeLog(offset: UInt64, terms: [UInt64], snapshot: (index: UInt64, term: UInt64)? = nil) -> UnstableLog {
        var log = UnstableLog(offset: offset)
        log.entries = entries(terms: terms, from: offset)
        if let snapshot {
            log.snapshot = Snapshot(metadata: SnapshotMetadata(index: snapshot.index, term: snapshot.term))
        }
        return log
    }

    @Test func firstIndexOnlyFromSnapshot() {
        #expect(makeLog(offset: 5, terms: [1]).firstIndexIfKnown == nil)
        #expect(makeLog(offset: 5, terms: [1], snapshot: (4, 1)).firstIndexIfKnown == 5)
        #expect(makeLog(offset: 5, terms: [], snapshot: (4, 1)).firstIndexIfKnown == 5)
    }

    @Test func lastIndexFromEntriesThenSnapshot() {
        #expect(makeLog(offset: 5, terms: [1]).lastIndexIfKnown == 5)
        #expect(makeLog(offset: 5, terms: [1, 1], snapshot: (4, 1)).lastIndexIfKnown == 6)
        #expect(makeLog(offset: 5, terms: [], snapshot: (4, 1)).lastIndexIfKnown == 4)
        #expect(makeLog(offset: 5, terms: []).lastIndexIfKnown == nil)
    }

    @Test func termFromEntriesOrSnapshot() {
        let log = makeLog(offset: 5, terms: [2, 3], snapshot: (4, 1))
        #expect(log.term(at: 3) == nil)
        #expect(log.term(at: 4) == 1)
        #expect(log.term(at: 5) == 2)
        #expect(log.term(at: 6) == 3)
        #expect(log.term(at: 7) == nil)
        #expect(makeLog(offset: 5, terms: [2]).term(at: 4) == nil)
    }

    @Test func stableToDropsPersistedPrefixOnlyWhenTermMatches() {
        var log = makeLog(offset: 5, terms: [1, 1, 2])
        log.stableTo(index: 5, term: 1)
        #expect(log.offset == 6)
        #expect(log.entries.indexes == [6, 7])
        // A term mismatch means a newer leader replaced the entry: keep it.
        log.stableTo(index: 7, term: 1)
        #expect(log.offset == 6)
        // Out of range: nothing happens.
        log.stableTo(index: 9, term: 2)
        log.stableTo(index: 4, term: 1)
        #expect(log.entries.count == 2)
        log.stableTo(index: 7, term: 2)
        #expect(log.offset == 8)
        #expect(log.entries.isEmpty)
    }

    @Test func stableToIgnoresTheSnapshotIndex() {
        var log = makeLog(offset: 5, terms: [1], snapshot: (4, 1))
        log.stableTo(index: 4, term: 1)
        #expect(log.offset == 5)
        #expect(log.entries.count == 1)
    }

    @Test func stableSnapshotToMatchesIndex() {
        var log = makeLog(offset: 5, terms: [], snapshot: (4, 1))
        log.stableSnapshotTo(index: 3)
        #expect(log.snapshot != nil)
        log.stableSnapshotTo(index: 4)
        #expect(log.snapshot == nil)
    }

    @Test func restoreDropsEntries() {
        var log = makeLog(offset: 5, terms: [1, 1])
        log.restore(Snapshot(metadata: SnapshotMetadata(index: 9, term: 3)))
        #expect(log.offset == 10)
        #expect(log.entries.isEmpty)
        #expect(log.snapshot?.metadata.index == 9)
        #expect(log.lastIndexIfKnown == 9)
    }

    @Test func truncateAndAppend() {
        // (offset, terms, appended from, appended terms, want offset, want terms)
        let cases: [(UInt64, [UInt64], UInt64, [UInt64], UInt64, [UInt64])] = [
            (5, [1], 6, [1, 1], 5, [1, 1, 1]),       // append after the end
            (5, [1], 5, [2, 2], 5, [2, 2]),          // replace everything
            (5, [1], 4, [2, 2, 2], 4, [2, 2, 2]),    // reach back into storage
            (5, [1, 1, 1], 6, [2], 5, [1, 2]),       // truncate a suffix
            (5, [1, 1, 1], 7, [2, 2], 5, [1, 1, 2, 2]),
        ]
        for (offset, terms, from, appended, wantOffset, wantTerms) in cases {
            var log = makeLog(offset: offset, terms: terms)
            log.truncateAndAppend(entries(terms: appended, from: from))
            #expect(log.offset == wantOffset)
            #expect(log.entries.terms == wantTerms)
            #expect(log.entries.indexes == Array(wantOffset..<wantOffset + UInt64(wantTerms.count)))
        }
    }

    @Test func sliceWithinBounds() {
        let log = makeLog(offset: 5, terms: [1, 2, 3])
        #expect(Array(log.slice(5, 8)).terms == [1, 2, 3])
        #expect(Array(log.slice(6, 7)).terms == [2])
        #expect(log.slice(6, 6).isEmpty)
    }
}
