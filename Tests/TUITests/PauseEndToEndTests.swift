import Foundation
import Testing

/// Pausing the real binary in real time under load, in tmux: the screen freezes with the
/// leader still shown, no event is logged, and the pause is no part of any put's latency.
@Suite(.serialized) struct PauseEndToEndTests {
    /// What the events pane lists: the right-hand box of its rows, from its title down.
    static func eventLines(_ screen: String) -> [String] {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let top = lines.firstIndex(where: { $0.contains("┌ events") }) else { return [] }
        return lines[(top + 1)...].prefix { !$0.hasPrefix("└") }.compactMap { line in
            let pane = line.components(separatedBy: "││").last ?? line
            let text = pane.trimmingCharacters(in: CharacterSet(charactersIn: "│ "))
            return text.isEmpty ? nil : text
        }
    }

    /// A number the screen shows after `label`, e.g. `max 12.3` in the latency pane.
    static func number(after label: String, in screen: String) -> Double? {
        guard let range = screen.range(of: label) else { return nil }
        return Double(screen[range.upperBound...].prefix { $0.isNumber || $0 == "." })
    }

    static func header(_ screen: String) -> String {
        String(screen.split(separator: "\n").first ?? "")
    }

    @Test(.enabled(if: EndToEndTests.tmux != nil, "tmux is not installed: the end-to-end test needs it (.ci/run installs it)"),
          .timeLimit(.minutes(2)))
    func pauseUnderLoadFreezesTheLeaderAndEventsAndLeavesThePauseOutOfLatency() async throws {
        let binary = try #require(EndToEndTests.binary, "no .build/debug/rafttop: run `swift build` before `swift test`")
        let session = Tmux(path: EndToEndTests.tmux!, socket: "rafttop-pause-\(getpid())")
        defer { session.run(["kill-server"]) }
        let script = "cd '\(EndToEndTests.packageRoot.path)'; '\(binary)' --members 3 --in-memory --no-cpu-packing;"
            + " echo RAFTTOP-EXITED $?; sleep 120"
        session.run(["new-session", "-d", "-x", "120", "-y", "40", "-s", "e2e", "sh", "-c", script])

        _ = try await session.waitFor("a leader") { CapturedScreen(text: $0).leader != nil }
        session.keys("l")
        _ = try await session.waitFor("the load to acknowledge puts") { screen in
            (Self.number(after: "latency (ms)  n=", in: screen) ?? 0) >= 20
        }

        session.keys("Space")
        let paused = try await session.waitFor("PAUSED in the header") { Self.header($0).contains("PAUSED") }
        let before = CapturedScreen(text: paused)
        let leader = try #require(before.leader, "the paused header names the leader:\n\(paused)")
        #expect(!paused.contains("leader none") && !paused.contains("(no leader)"), "\(paused)")
        #expect(before.rows.first { $0.member == leader }?.role == "leader", "the table shows the header's leader:\n\(paused)")
        let term = Self.number(after: "term ", in: Self.header(paused))
        let events = Self.eventLines(paused)

        let pauseSeconds = 2.0
        try await Task.sleep(for: .seconds(pauseSeconds))
        // A capture under a whole test run's load can come back empty: ask until it shows the screen.
        let still = try await session.waitFor("the paused screen again") { Self.header($0).contains("PAUSED") }
        let after = CapturedScreen(text: still)
        #expect(after.leader == leader, "the leader is still shown after \(pauseSeconds) s paused:\n\(still)")
        #expect(after.rows.map(\.commit) == before.rows.map(\.commit) && after.rows.map(\.applied) == before.rows.map(\.applied),
                "the paused table does not move:\n\(paused)\n\(still)")
        #expect(Self.eventLines(still) == events, "no event while paused:\n\(still)")
        #expect(!still.contains("leader none") && !still.contains("(no leader)"))

        session.keys("Space")
        _ = try await session.waitFor("running in the header") { Self.header($0).contains("running") }
        // Let the load run on for a while after the resume.
        try await Task.sleep(for: .seconds(2))
        let resumed = try await session.waitFor("the running screen with its latency") { screen in
            Self.header(screen).contains("running") && Self.number(after: " max ", in: screen) != nil
        }
        #expect(CapturedScreen(text: resumed).leader == leader, "no election after resuming:\n\(resumed)")
        #expect(Self.number(after: "term ", in: Self.header(resumed)) == term)
        let added = Self.eventLines(resumed).filter { !events.contains($0) }
        #expect(added.isEmpty, "no event from pausing and resuming: \(added)")
        let maxMillis = try #require(Self.number(after: " max ", in: resumed), "the latency pane shows max:\n\(resumed)")
        #expect(maxMillis < pauseSeconds * 1000, "max latency \(maxMillis) ms leaves the \(pauseSeconds) s pause out:\n\(resumed)")

        session.keys("q")
        let exited = try await session.waitFor("rafttop to exit", seconds: 120) { $0.contains("RAFTTOP-EXITED") }
        #expect(exited.contains("RAFTTOP-EXITED 0"))
    }
}
