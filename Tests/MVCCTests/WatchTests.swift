import Testing
@testable import MVCC

@Suite struct WatchTests {
    @Test func watcherSeesFutureWritesInItsRange() throws {
        let store = MVCCStore()
        let id = try store.watch(range: .prefix(b("app/")), prevKV: true)
        _ = try store.put(PutRequest(key: b("app/x"), value: b("1")))
        _ = try store.put(PutRequest(key: b("other"), value: b("1")))
        _ = try store.put(PutRequest(key: b("app/x"), value: b("2")))
        _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("app/x"))))
        let events = store.watchHub.takeEvents(id)
        #expect(events.map(\.kind) == [.put, .put, .delete])
        #expect(events.map(\.kv.modRevision) == [2, 4, 5])
        #expect(events[1].prevKV?.value == b("1"))
        #expect(events[2].prevKV?.value == b("2"))
        #expect(store.watchHub.takeEvents(id).isEmpty)
    }

    @Test func prevKVOnlyWhenAsked() throws {
        let store = MVCCStore()
        let id = try store.watch(range: KeyRange(key: b("k")))
        _ = try store.put(PutRequest(key: b("k"), value: b("1")))
        _ = try store.put(PutRequest(key: b("k"), value: b("2")))
        #expect(store.watchHub.takeEvents(id).allSatisfy { $0.prevKV == nil })
    }

    @Test func watchFromPastRevisionReplaysHistory() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("k"), value: b("1")))  // 2
        _ = try store.put(PutRequest(key: b("k"), value: b("2")))  // 3
        _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("k"))))  // 4
        let id = try store.watch(range: KeyRange(key: b("k")), startRevision: 3, prevKV: true)
        let events = store.watchHub.takeEvents(id)
        #expect(events.map(\.kv.modRevision) == [3, 4])
        #expect(events[0].prevKV?.value == b("1"))
        #expect(events[1].kind == .delete)
    }

    @Test func watchFromCompactedRevisionFails() throws {
        let store = MVCCStore()
        for v in ["1", "2", "3"] { _ = try store.put(PutRequest(key: b("k"), value: b(v))) }
        try store.compact(3)
        #expect(throws: MVCCError.compacted(requested: 2, compactRevision: 3)) {
            try store.watch(range: KeyRange(key: b("k")), startRevision: 2)
        }
        let id = try store.watch(range: KeyRange(key: b("k")), startRevision: 3)
        #expect(store.watchHub.takeEvents(id).map(\.kv.modRevision) == [3, 4])
    }

    @Test func cancelStopsEvents() throws {
        let store = MVCCStore()
        let id = try store.watch(range: KeyRange(key: b("k")))
        #expect(store.watchHub.cancel(id))
        _ = try store.put(PutRequest(key: b("k"), value: b("1")))
        #expect(store.watchHub.takeEvents(id).isEmpty)
        #expect(!store.watchHub.cancel(id))
    }
}
