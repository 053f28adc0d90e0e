import Cluster
import MVCC
import Raft
import Server
import Testing

/// The view types a snapshot hands the screen say what the members' own values say: a view
/// is built from them, never computed apart.
@Suite struct SnapshotViewTests {
    @Test func aMemberStatusViewMirrorsTheMembersStatus() throws {
        let cluster = try simulatedCluster()
        defer { cluster.shutdown() }
        #expect(cluster.run(until: { cluster.leader != nil }))
        for i in 0..<5 { cluster.put(key: bytes("k\(i)"), value: bytes("v\(i)")) }
        #expect(cluster.run(until: { cluster.snapshot().putsAcknowledged == 5 }))
        cluster.advance(byNanos: 100_000_000)
        let leader = try #require(cluster.leader)
        for id in cluster.ids {
            let status = try #require(cluster.member(id)?.status())
            let view = try #require(cluster.memberStatus(id))
            #expect(view.raft.term == status.raft.term)
            #expect(view.raft.commit == status.raft.commit)
            #expect(view.raft.vote == status.raft.vote)
            #expect(view.raft.lastIndex == status.raft.lastIndex)
            #expect(view.raft.role.description == status.raft.role.description)
            #expect(view.appliedIndex == status.appliedIndex)
            #expect(view.raft.timer.randomizedElectionTimeout == status.raft.basic.timer.randomizedElectionTimeout)
            #expect(view.raft.progress.count == status.raft.progress.count, "only the leader knows its followers' progress")
            for (follower, progress) in status.raft.progress {
                #expect(view.raft.progress[follower]?.match == progress.match)
                #expect(view.raft.progress[follower]?.next == progress.next)
                #expect(view.raft.progress[follower]?.state.description == progress.state.description)
            }
        }
        #expect(cluster.memberStatus(leader)?.raft.role == .leader)
    }

    @Test func aMessageInFlightCarriesTheIndicesOfItsEntries() throws {
        let cluster = try simulatedCluster()
        defer { cluster.shutdown() }
        #expect(cluster.run(until: { cluster.leader != nil }))
        cluster.advance(byNanos: 100_000_000)
        cluster.put(key: bytes("k"), value: bytes("v"))
        var carrying: InFlightMessage?
        #expect(cluster.run(until: {
            carrying = cluster.snapshot().inFlight.first { $0.type == .app && $0.entryCount > 0 }
            return carrying != nil
        }, stepNanos: 100_000))
        let app = try #require(carrying)
        let indices = try #require(app.entryIndices)
        #expect(indices.lowerBound == app.index + 1, "a MsgApp carries the entries after the one it names")
        #expect(app.type.description == "MsgApp")
    }

    @Test func aKeySpanCoversWhatTheStoresRangeCovers() {
        let span = KeySpan.prefix(bytes("app/"))
        let range = KeyRange.prefix(bytes("app/"))
        #expect(span.key == range.key)
        #expect(span.rangeEnd == range.rangeEnd)
        #expect(KeySpan(key: bytes("k")).rangeEnd.isEmpty)
    }

    @Test func aKeyReadSaysTheValueAndItsRevision() throws {
        let cluster = try simulatedCluster()
        defer { cluster.shutdown() }
        #expect(cluster.run(until: { cluster.leader != nil }))
        cluster.put(key: bytes("k"), value: bytes("v"))
        #expect(cluster.run(until: { cluster.snapshot().putsAcknowledged == 1 }))
        let read = try cluster.get(key: bytes("k"))
        #expect(read.value == bytes("v"))
        #expect(read.modRevision > 1)
        #expect(try cluster.get(key: bytes("absent")).value == nil)
    }
}
