import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization
import Testing
@testable import EtcdAPI

/// Watch over gRPC: one stream, requests in, responses out, as etcd's serverWatchStream does it.
@Suite struct WatchTests {
    /// Sends `requests` on one stream, then runs `then`, and returns the responses received
    /// until `done` says there are enough.
    static func watch(_ h: APIHarness, member: UInt64 = 1, requests: [Etcdserverpb_WatchRequest],
                      then: @escaping @Sendable () async throws -> Void = {},
                      until done: @escaping @Sendable ([Etcdserverpb_WatchResponse]) -> Bool) async throws -> [Etcdserverpb_WatchResponse] {
        try await h.withClient(member) { client in
            let watch = Etcdserverpb_Watch.Client(wrapping: client)
            let received = Mutex<[Etcdserverpb_WatchResponse]>([])
            let finished = Atomic<Bool>(false)
            return try await watch.watch { writer in
                for request in requests { try await writer.write(request) }
                try await then()
                try await waitFor("the watch responses") { finished.load(ordering: .relaxed) }
            } onResponse: { response in
                for try await message in response.messages {
                    let all = received.withLock { $0.append(message); return $0 }
                    if done(all) {
                        finished.store(true, ordering: .relaxed)
                        return all
                    }
                }
                return received.withLock { $0 }
            }
        }
    }

    static func create(_ key: String, rangeEnd: String = "", startRevision: Int64 = 0, prevKV: Bool = false) -> Etcdserverpb_WatchRequest {
        var create = Etcdserverpb_WatchCreateRequest()
        create.key = bytes(key)
        create.rangeEnd = bytes(rangeEnd)
        create.startRevision = startRevision
        create.prevKv = prevKV
        var request = Etcdserverpb_WatchRequest()
        request.createRequest = create
        return request
    }

    static func events(_ responses: [Etcdserverpb_WatchResponse]) -> [Mvccpb_Event] {
        responses.flatMap(\.events)
    }

    @Test func eventsFromThePastAndTheFutureWithPrevKV() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in
                _ = try await kv.put(Etcdserverpb_PutRequest("w/a", "1"))
                _ = try await kv.put(Etcdserverpb_PutRequest("w/a", "2"))
            }
            let responses = try await Self.watch(h, requests: [Self.create("w/", rangeEnd: "w0", startRevision: 1, prevKV: true)], then: {
                    try await h.withKV(2) { kv in
                        _ = try await kv.put(Etcdserverpb_PutRequest("w/b", "3"))
                        var delete = Etcdserverpb_DeleteRangeRequest()
                        delete.key = bytes("w/a")
                        _ = try await kv.deleteRange(delete)
                        _ = try await kv.put(Etcdserverpb_PutRequest("other", "x"))
                    }
                }, until: { Self.events($0).count >= 4 })
            let first = try #require(responses.first)
            #expect(first.created && first.watchID == 0 && first.header.clusterID == h.cluster.clusterID)
            let events = Self.events(responses)
            #expect(events.map(\.kv.keyString) == ["w/a", "w/a", "w/b", "w/a"])
            #expect(events.map(\.type) == [.put, .put, .put, .delete])
            #expect(events.map(\.kv.modRevision) == [2, 3, 4, 5])
            #expect(events[1].prevKv.valueString == "1")
            #expect(events[3].prevKv.valueString == "2")
            #expect(!events[0].hasPrevKv)
        }
    }

    @Test func cancelAndProgress() async throws {
        try await APIHarness.with { h in
            var cancel = Etcdserverpb_WatchRequest()
            cancel.cancelRequest.watchID = 0
            var progress = Etcdserverpb_WatchRequest()
            progress.progressRequest = Etcdserverpb_WatchProgressRequest()
            let responses = try await Self.watch(h, requests: [Self.create("a"), Self.create("b"), cancel, progress],
                                                 until: { $0.count >= 4 })
            #expect(responses[0].created && responses[0].watchID == 0)
            #expect(responses[1].created && responses[1].watchID == 1)
            #expect(responses[2].canceled && responses[2].watchID == 0)
            #expect(responses[3].watchID == -1 && responses[3].events.isEmpty && responses[3].header.revision == 1)
        }
    }

    @Test func refusedWatches() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in
                for i in 0..<3 { _ = try await kv.put(Etcdserverpb_PutRequest("c", "\(i)")) }
                var compact = Etcdserverpb_CompactionRequest()
                compact.revision = 3
                _ = try await kv.compact(compact)
            }
            let responses = try await Self.watch(h, requests: [Self.create("z", rangeEnd: "a"), Self.create("c", startRevision: 2)],
                                                 until: { $0.count >= 3 })
            #expect(responses[0].created && responses[0].canceled && responses[0].watchID == -1)
            #expect(responses[0].cancelReason == "mvcc: watcher range is empty")
            #expect(responses[1].created && responses[1].watchID == 0)
            #expect(responses[2].canceled && responses[2].compactRevision == 3)
        }
    }
}
