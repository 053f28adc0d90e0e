import Cluster
import Testing
@testable import TUI

/// The trace pane: every stage of one put on every member, at every size, in flight and failed.
@Suite struct TracePaneTests {
    static let sizes = [(200, 60), (140, 45), (120, 40), (100, 32), (100, 30), (80, 24)]

    /// The Scene's newest answered put, with every follower's stages joined in.
    static func answered(_ snapshot: ClusterSnapshot) throws -> StageTraceView {
        try #require(snapshot.traces.first { $0.respondedNanos != nil && $0.summary.hasPrefix("put") })
    }

    static func state(pinning trace: StageTraceView?) -> UIState {
        var state = Scene.state()
        state.detailPane = .trace
        state.pinnedTrace = trace
        return state
    }

    static func lines(_ canvas: Canvas) -> [String] {
        canvas.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Every stage of `trace` is on the screen with its time: the leader's four, each follower's
    /// row with its four marks, the commit, the leader's apply and the answer.
    static func expectEveryStage(_ canvas: Canvas, _ trace: StageTraceView, followers: [NodeID], size: String) {
        let text = canvas.text
        let rows = lines(canvas)
        for needle in ["req \(TraceList.idText(trace.requestID))", "at: ms since m\(trace.member)", "+took", "recv 0", "prop ", "append ",
                       "fsync ", "append←m\(trace.member)", "apply←commit", "commit←quorum", "responded "] {
            #expect(text.contains(needle), "\(size): '\(needle)' shown")
        }
        let pane = TracePane.Marks(trace, followers: followers)
        for follower in pane.followers {
            let row = rows.first { $0.contains("│m\(follower.id)        ") && $0.contains("+") }
            let marks = [follower.appended, follower.synced, follower.acked, follower.applied]
            #expect(marks.allSatisfy { $0 != nil }, "\(size): follower \(follower.id) has all four stages")
            for mark in marks {
                #expect(row?.contains(TracePane.text(mark)) == true, "\(size): m\(follower.id) shows \(TracePane.text(mark))")
            }
        }
        // The answer may wrap onto a row of its own on a narrow pane, but is never cut off.
        #expect(rows.contains { $0.contains("responded \(TracePane.text(pane.responded))│") || $0.contains("responded \(TracePane.text(pane.responded)) ") },
                "\(size): the answer is not cut off")
    }

    @Test(arguments: sizes) func everyStageRowIsVisible(width: Int, height: Int) throws {
        let snapshot = try Scene.snapshot()
        let trace = try Self.answered(snapshot)
        let followers = snapshot.members.map(\.id).filter { $0 != trace.member }
        #expect(followers.count == 2)
        let canvas = Screen.render(snapshot, Self.state(pinning: trace), width: width, height: height)
        RenderTests().check(canvas, against: "trace-\(width)x\(height)")
        Self.expectEveryStage(canvas, trace, followers: followers, size: "\(width)x\(height)")
    }

    @Test(arguments: sizes) func anErrorNeverHidesTheAnswer(width: Int, height: Int) throws {
        var snapshot = try Scene.snapshot()
        var trace = try Self.answered(snapshot)
        trace.error = "request timed out, possibly due to connection lost"
        snapshot.traces = snapshot.traces.map { $0.requestID == trace.requestID ? trace : $0 }
        let canvas = Screen.render(snapshot, Self.state(pinning: trace), width: width, height: height)
        RenderTests().check(canvas, against: "trace-error-\(width)x\(height)")
        #expect(canvas.text.contains("error: request timed out"))
        #expect(canvas.text.contains("FAILED"))
        var answered = trace
        answered.error = nil
        Self.expectEveryStage(canvas, answered, followers: snapshot.members.map(\.id).filter { $0 != trace.member },
                              size: "\(width)x\(height) with an error")
    }

    /// Real-time figures are longer than the simulator's round ones (and auth adds a stage):
    /// the rows wrap rather than cut a stage off.
    @Test(arguments: sizes) func longFiguresStillShowEveryStage(width: Int, height: Int) throws {
        var snapshot = try Scene.snapshot()
        let original = try Self.answered(snapshot)
        let origin = original.receivedNanos
        func stretch(_ t: UInt64?) -> UInt64? { t.map { origin + ($0 - origin) * 37 + 123_456 } }
        var trace = original
        trace.authCheckedNanos = origin + 45_678
        trace.username = "alice"
        trace.proposedNanos = stretch(trace.proposedNanos)
        trace.leaderAppendedNanos = stretch(trace.leaderAppendedNanos)
        trace.leaderSyncedNanos = stretch(trace.leaderSyncedNanos)
        trace.followerAppendedNanos = trace.followerAppendedNanos.mapValues { stretch($0)! }
        trace.followerSyncedNanos = trace.followerSyncedNanos.mapValues { stretch($0)! }
        trace.followerAckNanos = trace.followerAckNanos.mapValues { stretch($0)! }
        trace.followerAppliedNanos = trace.followerAppliedNanos.mapValues { stretch($0)! }
        trace.committedNanos = stretch(trace.committedNanos)
        trace.appliedNanos = stretch(trace.appliedNanos)
        trace.respondedNanos = stretch(trace.respondedNanos)
        snapshot.traces = snapshot.traces.map { $0.requestID == trace.requestID ? trace : $0 }
        let canvas = Screen.render(snapshot, Self.state(pinning: trace), width: width, height: height)
        Self.expectEveryStage(canvas, trace, followers: snapshot.members.map(\.id).filter { $0 != trace.member },
                              size: "\(width)x\(height) with long figures")
        #expect(canvas.text.contains("auth checked "))
    }

    /// The Scene's last put is on its way: it is the newest, shown as it is, stages to come as dashes.
    @Test func aPutInFlightShowsTheStagesSoFar() throws {
        let snapshot = try Scene.snapshot()
        let newest = try #require(snapshot.traces.first)
        #expect(newest.respondedNanos == nil)
        let text = Screen.render(snapshot, Self.state(pinning: nil), width: 120, height: 40).text
        #expect(text.contains("req \(TraceList.idText(newest.requestID))"))
        #expect(text.contains("(in flight)"))
        #expect(text.contains("responded -"))
    }

    /// Stage times come from several threads; one read just before the receipt, or before the
    /// stage it waits on, counts as that time, never as a negative span.
    @Test func timesBeforeTheReceiptCountAsTheReceipt() throws {
        var trace = StageTraceView(requestID: 1, member: 1, summary: "put k = 1 B", receivedNanos: 5_000_000)
        trace.proposedNanos = 5_100_000
        trace.leaderAppendedNanos = 4_900_000
        trace.followerAppendedNanos = [2: 4_800_000]
        trace.followerSyncedNanos = [2: 4_700_000]
        trace.followerAckNanos = [2: 4_000_000, 3: 6_000_000]
        trace.committedNanos = 6_000_000
        trace.respondedNanos = 4_000_000
        let marks = TracePane.Marks(trace, followers: [2, 3])
        let all = [marks.proposed, marks.leaderAppended, marks.committed, marks.responded]
            + marks.followers.flatMap { [$0.appended, $0.synced, $0.acked, $0.applied] }
        #expect(all.compactMap { $0 }.allSatisfy { $0.tookNanos <= $0.atNanos })
        var snapshot = try Scene.snapshot()
        snapshot.traces = [trace]
        let text = Screen.render(snapshot, Scene.state(), width: 120, height: 40).text
        #expect(text.contains("total 0.00 ms"))
        #expect(text.contains("responded 0.00"))
    }

    /// With no leader (it died with the traces it held), the puts seen before stay listed.
    @Test func noLeaderButPutsTracedIsNotNoPutsYet() throws {
        var snapshot = try Scene.snapshot()
        var state = Self.state(pinning: nil)
        state.seenTraces = snapshot.traces
        snapshot.leader = nil
        snapshot.traces = []
        let text = Screen.render(snapshot, state, width: 120, height: 40).text
        #expect(!text.contains("no puts yet"))
        #expect(text.contains("req \(TraceList.idText(state.seenTraces[0].requestID))"))
        state.seenTraces = []
        let none = Screen.render(snapshot, state, width: 120, height: 40).text
        #expect(!none.contains("no puts yet"))
        #expect(none.contains("no trace kept"))
    }

    @Test func theCommitWaitsOnAQuorumOfDurableCopies() {
        var trace = StageTraceView(requestID: 1, member: 1, summary: "put k = 1 B", receivedNanos: 0)
        trace.leaderSyncedNanos = 30
        trace.followerAckNanos = [2: 10, 3: 50, 4: 20, 5: 90]
        // Five voters: a majority is three durable copies, the third at 30.
        #expect(TracePane.Marks.quorumNanos(trace, voters: 5) == 30)
        #expect(TracePane.Marks.quorumNanos(trace, voters: 3) == 20)
        trace.followerAckNanos = [:]
        #expect(TracePane.Marks.quorumNanos(trace, voters: 3) == nil)
    }
}
