import Cluster
import Testing
@testable import TUI

/// Render tests: a snapshot rendered into a canvas, compared as text with the expected screen.
/// Regenerate with `RAFTTOP_UPDATE_SCREENS=1 swift test --filter TUITests` and review the diff.
@Suite struct RenderTests {
    func check(_ canvas: Canvas, against name: String) {
        let text = canvas.text
        if Scene.updating {
            Scene.store(text, as: name)
            return
        }
        guard let expected = Scene.expectedScreen(name) else {
            Issue.record("no expected screen Screens/\(name).txt; create it with RAFTTOP_UPDATE_SCREENS=1")
            return
        }
        let expectedText = String(expected.dropLast(expected.hasSuffix("\n") ? 1 : 0))
        if text != expectedText {
            let got = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let want = expectedText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var lines: [String] = []
            for i in 0..<max(got.count, want.count) where lines.count < 5 {
                let g = i < got.count ? got[i] : "(none)"
                let w = i < want.count ? want[i] : "(none)"
                if g != w { lines.append("line \(i + 1):\n  got:      \(g)\n  expected: \(w)") }
            }
            let report: String = lines.joined(separator: "\n")
            Issue.record(Comment(rawValue: "screen \(name) differs:\n" + report))
        }
    }

    @Test func mainLayoutAt120x40() throws {
        let canvas = Screen.render(try Scene.snapshot(), Scene.state(), width: 120, height: 40)
        check(canvas, against: "main-120x40")
        for word in ["NODE", "ROLE", "TERM", "COMMIT", "APPLIED", "PENDING", "WAL", "LAST", "FSYNC", "STATE", "MATCH/NEXT", "PROGRESS"] {
            #expect(canvas.text.contains(word), "the members table heads a column \(word)")
        }
    }

    @Test func headerSaysWhereTheMemberThreadsRun() throws {
        var snapshot = try Scene.snapshot()
        #expect(snapshot.cpuPlacement == nil, "a simulated cluster has no threads to place")
        let none = Screen.render(snapshot, Scene.state(), width: 200, height: 40).text
        #expect(!none.contains("threads "))
        snapshot.cpuPlacement = .packed(cpu: 1)
        let packed = Screen.render(snapshot, Scene.state(), width: 200, height: 40).text
        #expect(packed.split(separator: "\n").first?.contains("threads on CPU 1") == true)
        snapshot.cpuPlacement = .spread
        let spread = Screen.render(snapshot, Scene.state(), width: 200, height: 40).text
        #expect(spread.split(separator: "\n").first?.contains("threads spread") == true)
    }

    @Test func narrowLayoutAt80x24() throws {
        let canvas = Screen.render(try Scene.snapshot(), Scene.state(), width: 80, height: 24)
        check(canvas, against: "narrow-80x24")
        for word in ["NODE", "ROLE", "TERM", "COMMIT", "APPLIED", "PENDING", "WAL", "? help"] {
            #expect(canvas.text.contains(word))
        }
    }

    @Test func narrowLayoutCyclesDetailPanes() throws {
        let snapshot = try Scene.snapshot()
        var state = Scene.state()
        var titles: [String] = []
        for _ in DetailPane.allCases {
            let text = Screen.render(snapshot, state, width: 80, height: 24).text
            titles.append(["latency (ms)", "trace", "messages in flight", "events"].first { text.contains("┌ " + $0) } ?? "?")
            state.detailPane = state.detailPane.next
        }
        #expect(titles == ["latency (ms)", "trace", "messages in flight", "events"])
    }

    @Test func everySizeFromTinyToHugeRendersWithinTheCanvas() throws {
        let snapshot = try Scene.snapshot()
        for (w, h) in [(1, 1), (20, 5), (59, 15), (60, 16), (80, 24), (99, 31), (100, 32), (120, 40), (200, 60), (300, 100)] {
            let canvas = Screen.render(snapshot, Scene.state(), width: w, height: h)
            #expect(canvas.width == w && canvas.height == h)
        }
        #expect(Screen.render(snapshot, Scene.state(), width: 40, height: 10).text.contains("needs at least 60x16"))
    }

    @Test func commandLineShowsWhatIsTypedWithACursor() throws {
        var state = Scene.state()
        state.commandLineOpen = true
        for c in "put a b" { _ = state.commandLine.handle(.character(c)) }
        let canvas = Screen.render(try Scene.snapshot(), state, width: 80, height: 24)
        #expect(canvas.line(23) == ":put a b")
        #expect(canvas[8, 23].role == .selection)
    }

    @Test func walMarksAppliedCommittedAndUncommittedEntries() throws {
        let text = Screen.render(try Scene.snapshot(), Scene.state(), width: 120, height: 40).text
        #expect(text.contains(WALPane.appliedMark))
        #expect(text.contains(WALPane.durableMark + "    11"), "the put in flight is durable, not committed")
    }

    @Test func canvasClipsAndReplacesWideCharacters() {
        var canvas = Canvas(width: 5, height: 2)
        canvas.write("abcdefg", x: 2, y: 0)
        canvas.write("界x", x: 0, y: 1)
        canvas.write("off", x: 0, y: 7)
        #expect(canvas.text == "  abc\n?x")
    }
}

@Suite struct LearnerRenderTests {
    @Test func aLearnerIsMarkedInTheMembersTable() throws {
        let cluster = try Scene.cluster()
        defer { cluster.shutdown() }
        cluster.run(until: { cluster.leader != nil })
        cluster.addMember(isLearner: true) { _ in }
        cluster.run(until: { cluster.memberStatus(4)?.raft.learners == [4] })
        cluster.advance(byNanos: 200_000_000)
        let text = Screen.render(cluster.snapshot(), Scene.state(), width: 120, height: 40).text
        // The members table's rows start with the member's name.
        let rows = text.split(separator: "\n").filter { $0.contains("m4   ") || $0.contains("m1   ") }
        let learnerRow = try #require(rows.first { $0.contains("m4   ") }, "no row for m4 in:\n\(text)")
        #expect(learnerRow.contains("learner"), "\(learnerRow)")
        #expect(!rows.contains { $0.contains("m1   ") && $0.contains("learner") })
    }
}
