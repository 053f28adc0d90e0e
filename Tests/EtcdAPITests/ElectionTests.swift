import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization
import Testing
@testable import EtcdAPI

/// etcd's Election service over gRPC, from an in-process client, as etcd's v3election server
/// answers it.
///
/// Until rafttop grants leases, only lease 0 can be put, so one candidate per election goes
/// through Campaign; the other is a key put as another session's Campaign puts it.
@Suite struct ElectionTests {
    typealias ElectionClient = V3electionpb_Election.Client<HTTP2ClientTransport.Posix>

    /// Two candidates: the first leads, proclaims and resigns; the second, waiting, then leads.
    /// An observer sees every leader and every value in order.
    @Test func twoCandidatesCampaignProclaimResign() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let election = ElectionClient(wrapping: client)
                let kv = Etcdserverpb_KV.Client(wrapping: client)
                let observed = Observed()
                let observer = Task { try await observed.collect(election, "vote") }

                let first = try await Self.candidate("vote", key: "vote/a", value: "alice", kv)
                try await observed.waitFor(["alice"])

                let second = Task { try await election.campaign(.init("vote", lease: 0, value: "bob")) }
                try await waitForKey("vote/0", kv)
                let leading = try await election.leader(.init("vote"))
                #expect(leading.kv.valueString == "alice" && leading.kv.keyString == "vote/a")
                #expect(leading.kv.createRevision == first.rev)

                _ = try await election.proclaim(.init(first, value: "alice again"))
                try await observed.waitFor(["alice", "alice again"])
                #expect(try await election.leader(.init("vote")).kv.valueString == "alice again")

                let resigned = try await election.resign(.init(first))
                let won = try await second.value
                #expect(won.leader.name == bytes("vote"))
                #expect(String(decoding: won.leader.key, as: UTF8.self) == "vote/0")
                #expect(won.leader.lease == 0)
                #expect(won.leader.rev < resigned.header.revision)
                // The header is the campaign's transaction's, as etcd answers it.
                #expect(won.header.revision == won.leader.rev)
                try await observed.waitFor(["alice", "alice again", "bob"])

                let stale = await rpcFailure { _ = try await election.proclaim(.init(first, value: "mine")) }
                #expect(stale?.0 == .unknown && stale?.1 == "election: not leader")
                // Resigning a leadership that is gone is no error, as in etcd.
                _ = try await election.resign(.init(first))

                _ = try await election.proclaim(.init(won.leader, value: "bob again"))
                try await observed.waitFor(["alice", "alice again", "bob", "bob again"])
                _ = try await election.resign(.init(won.leader))
                let none = await rpcFailure { _ = try await election.leader(.init("vote")) }
                #expect(none?.0 == .unknown && none?.1 == "election: no leader")
                observer.cancel()
            }
        }
    }

    @Test func errorsAsEtcdSendsThem() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let election = ElectionClient(wrapping: client)
                let none = await rpcFailure { _ = try await election.leader(.init("nobody")) }
                #expect(none?.0 == .unknown && none?.1 == "election: no leader")
                for failure in [await rpcFailure { _ = try await election.proclaim(V3electionpb_ProclaimRequest()) },
                                await rpcFailure { _ = try await election.resign(V3electionpb_ResignRequest()) }] {
                    #expect(failure?.0 == .unknown && failure?.1 == #""leader" field must be provided"#)
                }
                let made = try await election.campaign(.init("e", lease: 0, value: "v"))
                #expect(made.leader.rev == made.header.revision)
                var forged = made.leader
                forged.rev += 1
                let notLeader = await rpcFailure { _ = try await election.proclaim(.init(forged, value: "w")) }
                #expect(notLeader?.0 == .unknown && notLeader?.1 == "election: not leader")
                let noLease = await rpcFailure { _ = try await election.campaign(.init("e", lease: 0x7e57, value: "v")) }
                #expect(noLease?.0 == .unknown && noLease?.1 == "etcdserver: requested lease not found")
            }
        }
    }

    /// A candidate whose key exists (its lease campaigned before) proclaims its new value.
    @Test func campaignAgainWithTheSameLeaseProclaims() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let election = ElectionClient(wrapping: client)
                let first = try await election.campaign(.init("again", lease: 0, value: "one"))
                let second = try await election.campaign(.init("again", lease: 0, value: "two"))
                #expect(second.leader.rev == first.leader.rev)
                #expect(try await election.leader(.init("again")).kv.valueString == "two")
            }
        }
    }

    /// Observe with no candidate waits for the first one.
    @Test func observeWaitsForTheFirstCandidate() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let election = ElectionClient(wrapping: client)
                let member = try #require(h.cluster.member(1))
                let observed = Observed()
                let observer = Task { try await observed.collect(election, "later") }
                try await waitFor("the observer's watch") { member.storeWatcherCount > 0 }
                _ = try await election.campaign(.init("later", lease: 0, value: "first"))
                try await observed.waitFor(["first"])
                observer.cancel()
            }
        }
    }

    /// etcd's Campaign resigns when its caller goes away; the observer's watch ends with its
    /// stream.
    @Test func cancelledCallsLeaveNoKeyOrWatch() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let election = ElectionClient(wrapping: client)
                let kv = Etcdserverpb_KV.Client(wrapping: client)
                let member = try #require(h.cluster.member(1))
                _ = try await Self.candidate("seat", key: "seat/1", value: "first", kv)
                let watchersBefore = member.storeWatcherCount

                let waiting = Task { try await election.campaign(.init("seat", lease: 0, value: "second")) }
                try await waitForKey("seat/0", kv)
                let observed = Observed()
                let observer = Task { try await observed.collect(election, "seat") }
                try await observed.waitFor(["first"])
                try await waitFor("the waiter's and the observer's watches") { member.storeWatcherCount >= watchersBefore + 2 }

                waiting.cancel()
                observer.cancel()
                _ = await rpcFailure { _ = try await waiting.value }
                _ = await rpcFailure { try await observer.value }
                try await waitUntil("the cancelled candidate's key to go") {
                    try await kv.range(.prefix("seat/")).kvs.map(\.keyString) == ["seat/1"]
                }
                try await waitFor("the watches to go") { member.storeWatcherCount == watchersBefore }
            }
        }
    }

    /// Another session's candidacy: its key put under the election's prefix, as Campaign puts it.
    static func candidate(_ name: String, key: String, value: String,
                          _ kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>) async throws -> V3electionpb_LeaderKey {
        let put = try await kv.put(Etcdserverpb_PutRequest(key, value))
        var leader = V3electionpb_LeaderKey()
        leader.name = bytes(name)
        leader.key = bytes(key)
        leader.rev = put.header.revision
        return leader
    }
}

/// The values an Observe stream delivered, in order.
final class Observed: Sendable {
    private let values = Mutex<[String]>([])

    func collect(_ election: ElectionTests.ElectionClient, _ name: String) async throws {
        try await election.observe(.init(name)) { response in
            for try await message in response.messages {
                self.values.withLock { $0.append(message.kv.valueString) }
            }
        }
    }

    func waitFor(_ expected: [String]) async throws {
        try await EtcdAPITests.waitFor("observed \(expected)") { values.withLock { $0 } == expected }
    }
}

extension V3electionpb_CampaignRequest {
    init(_ name: String, lease: Int64, value: String) {
        self.init()
        self.name = bytes(name)
        self.lease = lease
        self.value = bytes(value)
    }
}

extension V3electionpb_LeaderRequest {
    init(_ name: String) {
        self.init()
        self.name = bytes(name)
    }
}

extension V3electionpb_ProclaimRequest {
    init(_ leader: V3electionpb_LeaderKey, value: String) {
        self.init()
        self.leader = leader
        self.value = bytes(value)
    }
}

extension V3electionpb_ResignRequest {
    init(_ leader: V3electionpb_LeaderKey) {
        self.init()
        self.leader = leader
    }
}
