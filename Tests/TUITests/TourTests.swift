import Cluster
import Logging
import Testing
@testable import TUI

/// The guided tours driven stage by stage in simulated time: every stop is one where its stage's
/// predicate holds, the stops come in the tour's order and never go back in time, and `b`
/// shows a stop again exactly as it was.
@Suite struct TourTests {
    static func driver(_ kind: TourKind, members: Int = 3, seed: UInt64 = 1) throws -> TourDriver {
        let cluster = try TourDriver.makeCluster(members: members, seed: seed)
        return try TourDriver(kind: kind, cluster: cluster, ownsCluster: true)
    }

    /// Every stage in turn: its predicate held at its stop, stops in order, time never goes back.
    func runThrough(_ tour: TourDriver) throws {
        var last: UInt64 = 0
        for i in tour.stages.indices {
            try tour.next()
            let stop = try #require(tour.current)
            #expect(stop.stageIndex == i, "stage \(i + 1) is the \(i + 1)th stop")
            #expect(tour.stages[i].happened(stop.observation), "stage \(i + 1) (\(tour.stages[i].functions)) had happened at its stop")
            #expect(stop.observation.snapshot.nowNanos >= last, "stage \(i + 1) is not earlier than the one before")
            last = stop.observation.snapshot.nowNanos
        }
        #expect(tour.isAtEnd)
        #expect(tour.stops.count == tour.stages.count)
    }

    func stop(_ tour: TourDriver, named function: String) throws -> TourStop {
        let index = try #require(tour.stages.firstIndex { $0.functions.contains(function) }, "a stage names \(function)")
        return tour.stops[index]
    }

    @Test func thePutTourStopsAtEveryStageOfEtcdsPutPathInOrder() throws {
        let tour = try Self.driver(.put)
        defer { tour.close() }
        try runThrough(tour)
        // The seed documents' names, as etcd spells them.
        let names = tour.stages.map(\.functions).joined(separator: " | ")
        for name in ["EtcdServer.Put", "raftRequest", "processInternalRaftRequestOnce", "maxGapBetweenApplyAndCommitIndex",
                     "reqIDGen.Next", "AuthInfoFromCtx", "MaxRequestBytes", "s.w.Register", "wait.Register", "ReqTimeout", "node.Propose",
                     "stepWait", "propc", "raft.Step(MsgProp)", "appendEntry", "Ready", "WAL.Save", "MsgAppResp",
                     "maybeCommit", "applyV3.Put", "s.w.Trigger", "wait.Trigger", "PutResponse"] {
            #expect(names.contains(name), "a stage names \(name)")
        }
        // Three followers' worth of stages for two followers: append, fsync, MsgAppResp each.
        #expect(tour.stages.filter { $0.functions.contains("maybeAppend") }.count == 2)
        #expect(tour.stages.filter { $0.functions == "MsgAppResp" }.count == 2)

        // The checks inside processInternalRaftRequestOnce happen at one instant, before raft
        // has the entry; the append, the fsync, the follower and the commit come later.
        let received = try stop(tour, named: "EtcdServer.Put")
        let put = try #require(received.observation.put)
        for name in ["maxGapBetweenApplyAndCommitIndex", "reqIDGen.Next", "AuthInfoFromCtx", "MaxRequestBytes", "s.w.Register", "ReqTimeout"] {
            let s = try stop(tour, named: name)
            #expect(s.observation.snapshot.nowNanos == put.sentNanos, "\(name) is at the put's instant")
            #expect(!s.observation.appended(put.via), "at \(name) raft has not the entry yet")
        }
        let appended = try stop(tour, named: "appendEntry")
        #expect(appended.observation.appended(put.via) && !appended.observation.durable(put.via), "appended, not yet on disk")
        let synced = try stop(tour, named: "Fdatasync")
        #expect(synced.observation.snapshot.nowNanos == put.sentNanos + UInt64(TourDriver.leaderSyncMillis) * 1_000_000)
        let followerAppend = try stop(tour, named: "maybeAppend")
        #expect(followerAppend.observation.snapshot.nowNanos >= put.sentNanos + UInt64(TourDriver.networkMillis) * 1_000_000,
                "a follower has the entry only after the network latency")
        let commit = try stop(tour, named: "maybeCommit")
        #expect(commit.observation.snapshot.nowNanos > followerAppend.observation.snapshot.nowNanos)
        #expect(!tour.stages[tour.stages.firstIndex { $0.functions.contains("maybeCommit") }!].happened(followerAppend.observation),
                "not committed when the first follower appended")
        // The answer: the trace of the put, answered with no error.
        let answer = try stop(tour, named: "PutResponse")
        let trace = try #require(answer.observation.trace)
        #expect(trace.error == nil)
        #expect(trace.index == put.index)
        #expect(trace.respondedNanos == answer.observation.snapshot.nowNanos)
    }

    @Test func thePutTourWorksWithFiveMembers() throws {
        let tour = try Self.driver(.put, members: 5, seed: 7)
        defer { tour.close() }
        try runThrough(tour)
        #expect(tour.stages.filter { $0.functions.contains("maybeAppend") }.count == 4)
    }

    @Test func backShowsAStopAgainExactlyAndNextReturnsWithoutMovingTime() throws {
        let tour = try Self.driver(.put)
        defer { tour.close() }
        for _ in 0..<14 { try tour.next() }
        let fourteenth = try #require(tour.current)
        let now = tour.cluster.nowNanos()
        #expect(tour.back())
        #expect(tour.back())
        #expect(tour.position == 11)
        #expect(tour.current?.stageIndex == 11)
        #expect(tour.current?.observation.snapshot.nowNanos == tour.stops[11].observation.snapshot.nowNanos)
        #expect(tour.view?.stageNumber == 12)
        try tour.next()
        try tour.next()
        #expect(tour.current?.stageIndex == 13)
        #expect(tour.current?.observation.snapshot.nowNanos == fourteenth.observation.snapshot.nowNanos)
        #expect(tour.cluster.nowNanos() == now, "going forward again through seen stops moves no time")
        for _ in 0..<20 { tour.back() }
        #expect(tour.position == 0)
        #expect(!tour.back(), "nothing before the first stage")
    }

    @Test func theFailoverTourWatchesPreVoteTheVoteAndTheNewLeader() throws {
        let tour = try Self.driver(.failover)
        defer { tour.close() }
        let oldLeader = try #require(tour.cluster.leader)
        try runThrough(tour)
        let names = tour.stages.map(\.functions).joined(separator: " | ")
        for name in ["tickElection", "MsgPreVote", "MsgPreVoteResp", "becomeCandidate", "MsgVote", "MsgVoteResp", "becomeLeader"] {
            #expect(names.contains(name), "a stage names \(name)")
        }
        let preVote = try stop(tour, named: "becomePreCandidate")
        #expect(!preVote.observation.inFlight(.preVote).isEmpty)
        let elected = try stop(tour, named: "poll · becomeLeader")
        let leader = try #require(elected.observation.members(in: .leader).first)
        #expect(leader.id != oldLeader)
        let last = try #require(tour.current)
        #expect(last.observation.trace?.member == leader.id, "the last put went through the new leader")
        #expect(last.observation.view(oldLeader)?.state == .down)
    }

    @Test func aStageThatNeverHappensIsReportedNotWaitedFor() throws {
        let tour = try Self.driver(.put)
        defer { tour.close() }
        tour.stageLimitNanos = 50_000_000
        let firstFollowerStage = try #require(tour.stages.firstIndex { $0.functions.contains("maybeAppend") })
        for _ in 0..<firstFollowerStage { try tour.next() }
        let leader = try #require(tour.cluster.leader)
        for id in tour.cluster.ids where id != leader { try tour.cluster.crash(id) }
        let before = tour.stops.count
        #expect {
            try tour.next()
        } throws: { error in
            "\(error)".contains("stage \(firstFollowerStage + 1) (handleAppendEntries") && "\(error)".contains("did not happen")
        }
        #expect(tour.stops.count == before, "no stop is made for a stage that did not happen")
        #expect(tour.position == before - 1)
    }

    @Test func aTourNeedsThreeToSevenMembers() {
        #expect(throws: TourError.self) { try TourDriver.makeCluster(members: 2, seed: 1) }
        #expect(throws: TourError.self) { try TourDriver.makeCluster(members: 8, seed: 1) }
    }

    @Test func theCommandLineParsesTour() throws {
        #expect(try CommandParser.parse("tour", memberCount: 3).get() == .tour(.put))
        #expect(try CommandParser.parse("tour failover", memberCount: 3).get() == .tour(.failover))
        guard case .failure(let error) = CommandParser.parse("tour nope", memberCount: 3) else {
            Issue.record("tour nope is refused")
            return
        }
        #expect(error.message.contains("nope"))
    }

    func makeController() throws -> Controller {
        let cluster = try Scene.cluster()
        let controller = Controller(cluster: cluster, themes: ThemeCatalog(directories: [ThemeTests.themesDirectory]),
                                    theme: .builtIn, themeName: "default", seed: 3,
                                    logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        cluster.run(until: { cluster.leader != nil })
        return controller
    }

    @Test func colonTourDrivesTheOrdinaryScreenAndQReturnsToIt() throws {
        let c = try makeController()
        defer { c.stop(); c.cluster!.shutdown() }
        let before = c.cluster!.nowNanos()
        c.handle(.character(":"))
        for ch in "tour" { c.handle(.character(ch)) }
        c.handle(.enter)
        let first = try #require(c.state.tour)
        #expect(first.stageNumber == 1)
        #expect(first.functions.contains("EtcdServer.Put"))
        c.handle(.character(" "))
        #expect(c.state.tour?.stageNumber == 2)
        c.handle(.character("n"))
        #expect(c.state.tour?.stageNumber == 3)
        c.handle(.character("b"))
        #expect(c.state.tour?.stageNumber == 2)
        // While touring the screen shows the tour's cluster, and the own one stands still.
        c.beginFrame(frameNanos: 50_000_000)
        #expect(c.cluster!.nowNanos() == before)
        #expect(c.snapshot().nowNanos == c.tour!.current!.observation.snapshot.nowNanos)
        let text = Screen.render(c.snapshot(), c.state, width: 120, height: 40).text
        #expect(text.contains("stage 2 of"))
        #expect(text.contains("maxGapBetweenApplyAndCommitIndex"))
        // Other keys do nothing but say what works.
        c.handle(.character("K"))
        #expect(c.state.status?.text.contains("space or n next") == true)
        c.handle(.character("q"))
        #expect(c.state.tour == nil)
        #expect(!c.state.quitRequested, "leaving :tour returns to the UI")
        c.beginFrame(frameNanos: 50_000_000)
        #expect(c.cluster!.nowNanos() > before, "the own cluster runs again")
    }

    @Test func leavingRafttopTourQuits() throws {
        let tour = try Self.driver(.failover)
        let c = Controller(cluster: tour.cluster, themes: ThemeCatalog(directories: [ThemeTests.themesDirectory]),
                           theme: .builtIn, themeName: "default", seed: 3,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { c.stop(); tour.cluster.shutdown() }
        c.begin(tour, quitsAtEnd: true)
        #expect(c.state.tour?.functions.contains("kill") == true)
        c.handle(.escape)
        #expect(c.state.quitRequested)
    }
}
