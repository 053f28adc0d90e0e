import Cluster
import Foundation
import Logging
import Testing
@testable import TUI

/// An honest pause: in real time the cluster's clock stops with it, so pausing logs nothing,
/// leaves no time out and no latency counts it; in simulated time elections can be watched
/// coming (the election timer) and caught (`:stopon`); and a disk can be slowed (`:disk`).
@Suite(.serialized) struct PauseTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func controller(for cluster: Cluster) -> Controller {
        Controller(cluster: cluster, themes: ThemeCatalog(directories: [ThemeTests.themesDirectory]),
                   theme: .builtIn, themeName: "default", seed: 3, logger: Self.logger)
    }

    func realTimeCluster() throws -> Cluster {
        var config = ClusterConfig(memberCount: 3, driver: .realTime)
        config.packThreadsWhenLight = false
        return try Cluster(config: config)
    }

    /// Runs UI frames in real time until `condition` holds (or gives up after `seconds`).
    @discardableResult
    func frames(_ c: Controller, seconds: Double, until condition: () -> Bool = { false }) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            c.beginFrame(frameNanos: 20_000_000)
            c.observe(c.snapshot())
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    func type(_ line: String, into c: Controller) {
        c.handle(.character(":"))
        for ch in line { c.handle(.character(ch)) }
        c.handle(.enter)
    }

    /// Events about members and leaders: what a pause must not add.
    func memberEvents(_ cluster: Cluster) -> [String] {
        cluster.events.map(\.description).filter { $0.contains("member") || $0.contains("leader") }
    }

    @Test(.timeLimit(.minutes(2)))
    func realTimePauseResumeAndStepLogNoMemberEvents() throws {
        let cluster = try realTimeCluster()
        defer { cluster.shutdown() }
        let c = controller(for: cluster)
        try #require(frames(c, seconds: 120) { cluster.leader != nil && cluster.isReady })
        // Let the election settle into the events before counting them.
        frames(c, seconds: 0.5)
        let leader = try #require(cluster.leader)
        let before = memberEvents(cluster)

        c.handle(.character(" "))
        #expect(c.state.paused)
        #expect(cluster.isFrozen)
        let frozenAt = cluster.nowNanos()
        let shown = c.snapshot()
        #expect(shown.paused, "the snapshot says the cluster is frozen")
        #expect(shown.leader == leader, "the header shows the leader the table shows")
        #expect(shown.members.first { $0.id == leader }?.status?.raft.role == .leader)
        #expect(shown.members.allSatisfy { $0.state == .up }, "freezing pauses no member")
        // Longer than an election timeout (1 s): had the members' time gone on, one would campaign.
        frames(c, seconds: 1.5)
        #expect(cluster.nowNanos() == frozenAt, "the cluster's clock stands still while paused")
        #expect(c.snapshot().leader == leader)
        #expect(c.snapshot().nowNanos == shown.nowNanos, "the paused screen does not change")

        for _ in 0..<3 {
            c.handle(.character("s"))
            #expect(!cluster.isFrozen, "a single step runs the cluster for a moment")
            try #require(frames(c, seconds: 30) { cluster.isFrozen }, "the step ends frozen again")
        }
        #expect(cluster.nowNanos() > frozenAt, "the steps ran the clock")

        c.handle(.character(" "))
        #expect(!c.state.paused)
        #expect(!cluster.isFrozen)
        frames(c, seconds: 1.5)
        #expect(cluster.leader == leader, "no election after resuming")
        #expect(memberEvents(cluster) == before, "pausing, stepping and resuming log no member or leader event")
    }

    @Test(.timeLimit(.minutes(2)))
    func pausedTimeIsLeftOutOfLatency() throws {
        let cluster = try realTimeCluster()
        defer { cluster.shutdown() }
        let c = controller(for: cluster)
        try #require(frames(c, seconds: 120) { cluster.isReady })
        c.handle(.character(" "))
        // A put sent while paused waits the whole pause out, proposed but not committed.
        type("put held across-the-pause", into: c)
        let pause = 2.0
        frames(c, seconds: pause)
        #expect(cluster.snapshot().putsAcknowledged == 0, "nothing commits while frozen")
        c.handle(.character(" "))
        // The put's answer reaches the status line through the inbox a moment after the count.
        try #require(frames(c, seconds: 60) {
            cluster.snapshot().putsAcknowledged == 1 && c.state.status?.text.hasPrefix("put held") == true
        })
        let latency = cluster.snapshot().latency
        #expect(latency.count == 1)
        #expect(latency.maxMicros < UInt64(pause * 1_000_000), "the put's latency (\(latency.maxMicros) µs) leaves the \(pause) s pause out")
        let traced = try #require(cluster.snapshot().traces.first { $0.summary.contains("held") })
        let traceNanos = try #require(traced.latencyNanos)
        #expect(traceNanos < UInt64(pause * 1e9), "the put's trace (\(traceNanos) ns) leaves the pause out")
        #expect(c.state.status?.text.hasPrefix("put held: revision") == true, "\(String(describing: c.state.status))")
    }

    @Test func electionTimerCountsTickByTickInSimulation() throws {
        let cluster = try Scene.cluster()
        defer { cluster.shutdown() }
        cluster.run(until: { cluster.leader != nil })
        let leader = try #require(cluster.leader)
        let leaderTimer = try #require(cluster.memberStatus(leader)?.raft.timer)
        #expect(leaderTimer.heartbeatTimeout == 1)
        try cluster.crash(leader)
        let followers = cluster.ids.filter { $0 != leader }
        let tick = cluster.memberTiming.tickNanos
        let electionTicks = Int(cluster.memberTiming.electionTimeoutNanos / tick)
        var last = followers.map { cluster.memberStatus($0)!.raft.timer.electionElapsed }
        var counted = 0
        while counted < 30 {
            cluster.advance(byNanos: tick)
            let statuses = followers.map { cluster.memberStatus($0)!.raft }
            // Until someone campaigns, every follower's timer gains exactly one tick per tick.
            guard statuses.allSatisfy({ $0.role == .follower }) else { break }
            for (status, before) in zip(statuses, last) {
                #expect(status.timer.electionElapsed == before + 1)
                #expect(status.timer.randomizedElectionTimeout >= electionTicks)
                #expect(status.timer.randomizedElectionTimeout < 2 * electionTicks)
                #expect(status.timer.electionElapsed < status.timer.randomizedElectionTimeout)
            }
            last = statuses.map(\.timer.electionElapsed)
            counted += 1
        }
        #expect(counted >= 3, "the timers were seen counting")
        #expect(counted < 30, "someone campaigned once a timer ran out")
        // The members table shows it.
        let canvas = Screen.render(cluster.snapshot(), UIState(), width: 200, height: 60)
        #expect(canvas.text.contains("TIMER"))
        #expect(canvas.text.contains("elect "))
        #expect(MembersTable.timerText(ElectionTimerView(electionElapsed: 7, randomizedElectionTimeout: 13), role: .follower) == "elect 7/13")
        #expect(MembersTable.timerText(ElectionTimerView(heartbeatElapsed: 0, heartbeatTimeout: 1), role: .leader) == "hb 0/1")
    }

    func simulatedController() throws -> Controller {
        let cluster = try Scene.cluster()
        let c = controller(for: cluster)
        cluster.run(until: { cluster.leader != nil })
        return c
    }

    func simFrames(_ c: Controller, max: Int, until condition: () -> Bool) -> Bool {
        for _ in 0..<max {
            c.beginFrame(frameNanos: 50_000_000)
            c.observe(c.snapshot())
            if condition() { return true }
        }
        return false
    }

    @Test func stopOnCandidateStopsAtAFrameWithACandidateAndItsVoteRequestsInFlight() throws {
        let c = try simulatedController()
        let cluster = c.cluster!
        defer { cluster.shutdown() }
        type("stopon candidate", into: c)
        #expect(c.state.stopOn == "candidate")
        c.handle(.character("K"))
        let old = try #require(cluster.events.compactMap { if case .crashed(let id) = $0.kind { id } else { nil } }.last)
        // First the pre-candidate with its MsgPreVote, then the candidate with its MsgVote.
        for (role, request) in [(MemberRole.preCandidate, MessageKind.preVote), (.candidate, .vote)] {
            try #require(simFrames(c, max: 200) { c.state.paused }, "stopped before a \(role)")
            let snapshot = c.snapshot()
            let campaigning = try #require(snapshot.members.first { $0.status?.raft.role == role }, "a \(role) in the frame")
            #expect(snapshot.inFlight.contains { $0.type == request && $0.from == campaigning.id },
                    "its \(request) in flight: \(snapshot.inFlight.map(\.type))")
            #expect(c.state.status?.text.hasPrefix("stopped: m\(campaigning.id) became") == true, "\(String(describing: c.state.status))")
            let rendered = Screen.render(snapshot, c.state, width: 200, height: 60).text
            #expect(rendered.contains(role == .preCandidate ? "pre-cand" : "candidate"))
            #expect(rendered.contains(role == .preCandidate ? "MsgPreVote" : "MsgVote"), "\(rendered)")
            // Paused means paused: frames do not move time.
            let t = cluster.nowNanos()
            _ = simFrames(c, max: 3) { false }
            #expect(cluster.nowNanos() == t)
            c.handle(.character(" "))
        }
        #expect(simFrames(c, max: 200) { cluster.leader != nil && cluster.leader != old })
        type("stopon off", into: c)
        #expect(c.state.stopOn == nil)
    }

    @Test func stopOnLeaderLostStopsWhenTheLeaderIsKilled() throws {
        let c = try simulatedController()
        let cluster = c.cluster!
        defer { cluster.shutdown() }
        type("stopon leader-lost", into: c)
        let leader = try #require(cluster.leader)
        _ = simFrames(c, max: 5) { false }
        #expect(!c.state.paused, "nothing to stop for while the leader leads")
        c.handle(.character("K"))
        #expect(simFrames(c, max: 1) { c.state.paused })
        #expect(c.state.status?.text == "stopped: leader m\(leader) of term \(cluster.snapshot().term) lost")
    }

    @Test func stopOnIsRefusedInRealTime() throws {
        let cluster = try realTimeCluster()
        defer { cluster.shutdown() }
        let c = controller(for: cluster)
        type("stopon candidate", into: c)
        #expect(c.state.status?.kind == .error)
        #expect(c.state.status?.text.contains("--sim") == true)
        #expect(c.state.stopOn == nil)
    }

    @Test func aSlowDiskMakesEveryFsyncOfThatMemberTakeItsDelayInSimulatedTime() throws {
        let c = try simulatedController()
        let cluster = c.cluster!
        defer { cluster.shutdown() }
        type("disk 2 50", into: c)
        #expect(c.state.status?.text == "member 2's disk: every fsync takes 50.0 ms more (simulated time)")
        #expect(cluster.diskDelayNanos(2) == 50_000_000)
        type("put slow v", into: c)
        #expect(simFrames(c, max: 40) { c.state.status?.text.hasPrefix("put slow: revision") == true })
        // The other two make the quorum: member 2's write completes on its own time after.
        _ = simFrames(c, max: 4) { false }
        var snapshot = cluster.snapshot()
        let slow = try #require(snapshot.members.first { $0.id == 2 })
        #expect(slow.fsyncMicrosLast >= 50_000, "member 2's fsync took \(slow.fsyncMicrosLast) µs")
        for other in snapshot.members where other.id != 2 {
            #expect(other.fsyncMicrosLast < 50_000, "member \(other.id)'s disk is not slowed")
        }
        let rendered = Screen.render(snapshot, c.state, width: 200, height: 60).text
        #expect(rendered.contains("disk* m2 +50.0 ms/fsync"), "\(rendered)")

        type("disk 2 0", into: c)
        #expect(cluster.diskDelayNanos(2) == 0)
        type("put fast v", into: c)
        #expect(simFrames(c, max: 40) { c.state.status?.text.hasPrefix("put fast: revision") == true })
        snapshot = cluster.snapshot()
        #expect(try #require(snapshot.members.first { $0.id == 2 }).fsyncMicrosLast < 50_000)
        #expect(!Screen.render(snapshot, c.state, width: 200, height: 60).text.contains("disk*"))
    }

    @Test func aDiskDelayIsBoundedWithAClearError() throws {
        let cluster = try Scene.cluster()
        defer { cluster.shutdown() }
        #expect(throws: ClusterError.self) { try cluster.setDiskDelay(2, nanos: Cluster.diskDelayNanosMax + 1) }
        do {
            try cluster.setDiskDelay(2, nanos: 20_000_000_000)
        } catch {
            #expect("\(error)" == "a disk delay is at most 10000 ms, not 20000 ms")
        }
        #expect(throws: ClusterError.self) { try cluster.setDiskDelay(9, nanos: 1) }
        #expect(cluster.diskDelayNanos(2) == 0)
    }
}

extension PauseTests {
    @Test(.timeLimit(.minutes(2)))
    func aSlowDiskInRealTimeSleepsInThePersistStep() throws {
        let cluster = try realTimeCluster()
        defer { cluster.shutdown() }
        let c = controller(for: cluster)
        try #require(frames(c, seconds: 120) { cluster.isReady })
        type("disk 2 50", into: c)
        #expect(c.state.status?.text == "member 2's disk: every fsync takes 50.0 ms more")
        type("put slow v", into: c)
        let slowed = frames(c, seconds: 60) {
            (cluster.snapshot().members.first { $0.id == 2 }?.fsyncMicrosLast ?? 0) >= 50_000
        }
        #expect(slowed, "member 2's fsync includes the delay")
        #expect(frames(c, seconds: 60) { c.state.status?.text.hasPrefix("put slow: revision") == true })
        type("disk 2 0", into: c)
        #expect(cluster.diskDelayNanos(2) == 0)
    }
}
