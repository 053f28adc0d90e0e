import Raft
import Testing
@testable import Server

@Suite struct EntryStageRingTests {
    static func entry(_ index: UInt64, term: UInt64 = 1) -> Entry {
        Entry(term: term, index: index, data: [])
    }

    @Test func recordsEachStageByIndexAndTerm() {
        var ring = EntryStageRing(capacity: 8)
        ring.appended([Self.entry(1), Self.entry(2)], at: 10)
        ring.synced([Self.entry(1), Self.entry(2)], at: 20)
        ring.applied([Self.entry(1)], at: 30)
        #expect(ring.times(index: 1, term: 1) == EntryStageTimes(appendedNanos: 10, syncedNanos: 20, appliedNanos: 30))
        #expect(ring.times(index: 2, term: 1) == EntryStageTimes(appendedNanos: 10, syncedNanos: 20))
        #expect(ring.times(index: 3, term: 1) == nil)
        // Another term's entry at the same index is another entry.
        #expect(ring.times(index: 1, term: 2) == nil)
        ring.appended([Self.entry(2, term: 2)], at: 40)
        #expect(ring.times(index: 2, term: 1) == nil)
        #expect(ring.times(index: 2, term: 2) == EntryStageTimes(appendedNanos: 40))
    }

    @Test func anOldIndexGivesWayToANewOne() {
        var ring = EntryStageRing(capacity: 4)
        ring.appended((1...6).map { Self.entry($0) }, at: 5)
        #expect(ring.times(index: 1, term: 1) == nil)
        #expect(ring.times(index: 2, term: 1) == nil)
        #expect(ring.times(index: 6, term: 1)?.appendedNanos == 5)
    }

    @Test func ackLogFindsTheFirstAckCoveringAnIndex() {
        var log = AckLog(capacity: 4)
        #expect(log.firstAck(covering: 1, notBefore: 0) == nil)
        log.record(throughIndex: 3, at: 100)
        log.record(throughIndex: 3, at: 110)
        log.record(throughIndex: 7, at: 200)
        #expect(log.count == 2)
        #expect(log.firstAck(covering: 2, notBefore: 0) == 100)
        #expect(log.firstAck(covering: 4, notBefore: 0) == 200)
        // No ack precedes the leader's own append.
        #expect(log.firstAck(covering: 2, notBefore: 150) == 200)
        #expect(log.firstAck(covering: 8, notBefore: 0) == nil)
    }

    @Test func ackLogForgetsWhatItCannotKnow() {
        var log = AckLog(capacity: 3)
        for (i, index) in [2, 4, 6, 8].enumerated() { log.record(throughIndex: UInt64(index), at: UInt64(100 * (i + 1))) }
        // The ack of 2 was overwritten: the oldest kept (4 at 200) may not be the first for 3.
        #expect(log.firstAck(covering: 3, notBefore: 0) == nil)
        #expect(log.firstAck(covering: 5, notBefore: 0) == 300)
        // A follower whose log was cut back starts the log again.
        log.record(throughIndex: 5, at: 500)
        #expect(log.count == 1)
        #expect(log.firstAck(covering: 5, notBefore: 0) == 500)
    }
}
