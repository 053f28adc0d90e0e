import Testing
@testable import EtcdAPI

/// The poller attach mode uses, against the in-process cluster's etcd API.
@Suite struct StatusPollerTests {
    @Test func pollsEveryMemberAndReportsTheUnreachable() async throws {
        try await APIHarness.with { h in
            // Nothing listens on port 1 of loopback.
            let endpoints = h.endpoints.map(\.grpc) + ["127.0.0.1:1"]
            // Calls get the tests' `callTimeout` (the cooperative pool is shared with every suite);
            // poll until the live members answer with a leader (or give up after ten rounds).
            let statuses = try await EtcdStatusPoller.with(endpoints: endpoints) { poller in
                var latest = await poller.poll(timeout: callTimeout)
                for _ in 0..<10 where !latest.prefix(3).allSatisfy(\.reachable) || latest.filter(\.isLeader).isEmpty {
                    latest = await poller.poll(timeout: callTimeout)
                }
                return latest
            }
            #expect(statuses.map(\.endpoint) == endpoints)
            #expect(statuses.map(\.reachable) == [true, true, true, false])
            #expect(statuses.filter(\.isLeader).map(\.memberID) == [h.cluster.leader])
            #expect(statuses.prefix(3).map(\.memberID) == [1, 2, 3])
            #expect(statuses.prefix(3).allSatisfy { $0.clusterID == h.cluster.clusterID && $0.version == etcdAPIVersion })
            #expect(!statuses[3].errors.isEmpty)
        }
    }

    @Test func endpointsAreHostAndPort() throws {
        #expect(try EtcdStatusPoller.parse("127.0.0.1:2379") == ("127.0.0.1", 2379))
        #expect(try EtcdStatusPoller.parse("http://localhost:2379") == ("localhost", 2379))
        #expect(try EtcdStatusPoller.parse("[::1]:2379") == ("::1", 2379))
        #expect(throws: EtcdStatusPollerError.self) { try EtcdStatusPoller.parse("localhost") }
        #expect(throws: EtcdStatusPollerError.self) { try EtcdStatusPoller.parse(":2379") }
        #expect(throws: EtcdStatusPollerError.self) { try EtcdStatusPoller.parse("h:99999") }
    }
}
