import Cluster
import MVCC
import Raft
import Server
import Testing

/// Leases in a simulated cluster: granted and revoked through the log, kept alive on the
/// leader, ended by a revoke the leader proposes when one runs out, and never ended by an
/// election.
@Suite struct LeaseTests {
    /// Runs until `request` is answered; its result.
    static func answer(_ cluster: Cluster, _ request: (@escaping Completion) -> Void) throws -> Result<Response, ServerError> {
        let acks = Acks()
        request(acks.completion(for: "r"))
        #expect(cluster.run(until: { acks.answered == 1 }))
        return try #require(acks.result(for: "r"))
    }

    static func grant(_ cluster: Cluster, ttlSeconds: Int64, id: Int64 = 0) throws -> Int64 {
        let lead = try #require(cluster.leader)
        let response = try answer(cluster) { cluster.member(lead)!.grantLease(id: id, ttlSeconds: ttlSeconds, completion: $0) }.get()
        guard case .leaseGrant(let granted, _) = response.outcome else { throw UnexpectedOutcome(outcome: response.outcome) }
        return granted
    }

    static func put(_ cluster: Cluster, _ key: String, lease: Int64) throws -> Result<Response, ServerError> {
        let lead = try #require(cluster.leader)
        return try answer(cluster) { cluster.member(lead)!.put(PutRequest(key: bytes(key), value: bytes("v"), lease: lease), completion: $0) }
    }

    /// A started cluster whose leader keeps the lease clocks.
    static func startedCluster(seed: UInt64 = 1, configure: (inout ClusterConfig) -> Void = { _ in }) throws -> Cluster {
        let cluster = try simulatedCluster(seed: seed, configure: configure)
        #expect(cluster.run(until: { cluster.leader.flatMap { cluster.member($0)?.isLeasePrimary } == true }))
        return cluster
    }

    @Test func aKeyVanishesFromEveryMemberWhenItsLeaseRunsOut() throws {
        let cluster = try Self.startedCluster()
        let lease = try Self.grant(cluster, ttlSeconds: 5)
        _ = try Self.put(cluster, "ephemeral", lease: lease).get()
        cluster.advance(byNanos: 200_000_000)
        for id in cluster.ids { #expect(value(cluster, id, "ephemeral") == bytes("v"), "member \(id)") }
        #expect(cluster.member(cluster.leader!)!.leases.ids == [lease])

        cluster.advance(byNanos: 4_000_000_000)
        for id in cluster.ids { #expect(value(cluster, id, "ephemeral") == bytes("v"), "before the TTL, member \(id)") }
        #expect(cluster.run(until: { cluster.ids.allSatisfy { value(cluster, $0, "ephemeral") == nil } }, limitNanos: 3_000_000_000))
        for id in cluster.ids {
            let member = try #require(cluster.member(id))
            #expect(member.leases.count == 0, "member \(id)")
            // The expiry is an entry in every member's log.
            #expect(member.recentLogEntries(20).contains { $0.summary == "lease revoke \(LeaseID.hex(lease))" }, "member \(id)")
        }
        #expect(cluster.member(cluster.leader!)!.status().metrics.leasesExpired == 1)
    }

    @Test func keepAlivesKeepALeaseAndItsKeysPastTheirTTL() throws {
        let cluster = try Self.startedCluster()
        let lease = try Self.grant(cluster, ttlSeconds: 3)
        _ = try Self.put(cluster, "held", lease: lease).get()
        for _ in 0..<10 {
            cluster.advance(byNanos: 1_000_000_000)
            #expect(try cluster.member(cluster.leader!)!.renewLease(id: lease) == 3)
        }
        for id in cluster.ids { #expect(value(cluster, id, "held") == bytes("v"), "member \(id)") }
        let status = try cluster.member(cluster.leader!)!.leaseTimeToLive(id: lease)
        #expect(status.grantedTTLSeconds == 3)
        #expect(status.remainingTTLSeconds >= 1 && status.remainingTTLSeconds <= 3)
        #expect(status.keys == [bytes("held")])
        // A follower keeps no clocks.
        let follower = cluster.ids.first { $0 != cluster.leader! }!
        #expect(throws: ServerError.lease(.notPrimary)) { try cluster.member(follower)!.renewLease(id: lease) }
    }

    @Test func revokingDeletesEveryKeyOfTheLeaseInOneRevision() throws {
        let cluster = try Self.startedCluster()
        let lease = try Self.grant(cluster, ttlSeconds: 60)
        for key in ["a", "b", "c"] { _ = try Self.put(cluster, key, lease: lease).get() }
        _ = try Self.put(cluster, "other", lease: 0).get()
        let lead = cluster.leader!
        let before = cluster.member(lead)!.storeRevision
        let revoked = try Self.answer(cluster) { cluster.member(lead)!.revokeLease(id: lease, completion: $0) }.get()
        #expect(revoked.header.revision == before + 1)
        cluster.advance(byNanos: 200_000_000)
        for id in cluster.ids {
            for key in ["a", "b", "c"] { #expect(value(cluster, id, key) == nil, "\(key) on member \(id)") }
            #expect(value(cluster, id, "other") == bytes("v"))
        }
        let again = try Self.answer(cluster) { cluster.member(lead)!.revokeLease(id: lease, completion: $0) }
        #expect(again == .failure(.lease(.notFound)))
        #expect(throws: ServerError.lease(.notFound)) { try cluster.member(lead)!.renewLease(id: lease) }
    }

    @Test func writesNamingALeaseThatIsNotGrantedAreRefused() throws {
        let cluster = try Self.startedCluster()
        #expect(try Self.put(cluster, "k", lease: 0x1234) == .failure(.lease(.notFound)))
        let txn = TxnRequest(success: [.put(PutRequest(key: bytes("t"), value: bytes("v"), lease: 0x1234))])
        let lead = cluster.leader!
        #expect(try Self.answer(cluster) { cluster.member(lead)!.propose(.txn(txn), completion: $0) } == .failure(.lease(.notFound)))
        // A branch not taken may name any lease.
        let untaken = TxnRequest(compare: [Compare(range: KeyRange(key: bytes("t")), target: .version(5), result: .equal)],
                                 success: [.put(PutRequest(key: bytes("t"), value: bytes("v"), lease: 0x1234))],
                                 failure: [.put(PutRequest(key: bytes("t"), value: bytes("w")))])
        #expect(try Self.answer(cluster) { cluster.member(lead)!.propose(.txn(untaken), completion: $0) }.get().header.revision > 1)
        let lease = try Self.grant(cluster, ttlSeconds: 10, id: 77)
        #expect(lease == 77)
        let duplicate = try Self.answer(cluster) { cluster.member(lead)!.grantLease(id: 77, ttlSeconds: 10, completion: $0) }
        #expect(duplicate == .failure(.lease(.exists)))
        let tooLong = try Self.answer(cluster) { cluster.member(lead)!.grantLease(ttlSeconds: LeaseTable.maxTTLSeconds + 1, completion: $0) }
        #expect(tooLong == .failure(.lease(.ttlTooLarge)))
    }

    @Test func aShortTTLIsRaisedToTheMinimum() throws {
        let cluster = try Self.startedCluster()
        let lead = cluster.leader!
        let response = try Self.answer(cluster) { cluster.member(lead)!.grantLease(ttlSeconds: 1, completion: $0) }.get()
        // 1.5 election timeouts of 1 s, rounded up: etcd's minimum at its defaults.
        #expect(response.outcome == .leaseGrant(id: { if case .leaseGrant(let id, _) = response.outcome { id } else { 0 } }(), ttlSeconds: 2))
    }

    @Test func anElectionDoesNotEndALease() throws {
        let cluster = try Self.startedCluster(seed: 3)
        let lease = try Self.grant(cluster, ttlSeconds: 4)
        _ = try Self.put(cluster, "survivor", lease: lease).get()
        cluster.advance(byNanos: 3_000_000_000)
        #expect(try cluster.member(cluster.leader!)!.renewLease(id: lease) == 4)
        let old = cluster.leader!
        try cluster.crash(old)
        #expect(cluster.run(until: {
            cluster.leader.map { $0 != old && cluster.member($0)?.isLeasePrimary == true } ?? false
        }, limitNanos: 10_000_000_000))
        let promoted = cluster.nowNanos()
        let lead = cluster.leader!
        // The new leader gives the lease its whole TTL again from its promotion, plus an
        // election timeout: nothing ends while it settles in.
        #expect(try cluster.member(lead)!.leaseTimeToLive(id: lease).remainingTTLSeconds >= 4)
        #expect(cluster.run(until: { cluster.nowNanos() >= promoted + 4_500_000_000 }))
        #expect(value(cluster, lead, "survivor") == bytes("v"))
        #expect(cluster.run(until: { value(cluster, lead, "survivor") == nil }, limitNanos: 3_000_000_000))
    }

    @Test func leasesAndTheirKeysSurviveASnapshotAndARestartOfEveryMember() throws {
        let cluster = try Self.startedCluster { $0.member.snapshotCount = 10; $0.member.snapshotCatchUpEntries = 2 }
        let lease = try Self.grant(cluster, ttlSeconds: 600)
        _ = try Self.put(cluster, "kept", lease: lease).get()
        for i in 0..<30 { _ = try Self.put(cluster, "filler\(i)", lease: 0).get() }
        #expect(cluster.member(cluster.leader!)!.status().metrics.snapshotsTaken > 0)
        for id in cluster.ids { try cluster.crash(id) }
        for id in cluster.ids { try cluster.restart(id) }
        #expect(cluster.run(until: { cluster.leader.flatMap { cluster.member($0)?.isLeasePrimary } == true }, limitNanos: 10_000_000_000))
        for id in cluster.ids { #expect(cluster.member(id)!.leases.ids == [lease], "member \(id)") }
        let lead = cluster.leader!
        #expect(try cluster.member(lead)!.leaseTimeToLive(id: lease).keys == [bytes("kept")])
        _ = try Self.answer(cluster) { cluster.member(lead)!.revokeLease(id: lease, completion: $0) }.get()
        cluster.advance(byNanos: 200_000_000)
        for id in cluster.ids { #expect(value(cluster, id, "kept") == nil, "member \(id)") }
    }
}

struct UnexpectedOutcome: Error {
    var outcome: Response.Outcome
}
