import Foundation
import Testing
@testable import TUI

/// `rafttop tour` in a real terminal: tmux runs it at 80x24, Space goes through every stage, each
/// screen's caption names its etcd function, and q quits with status 0.
@Suite(.serialized) struct TourEndToEndTests {
    @Test(.enabled(if: EndToEndTests.tmux != nil, "tmux is not installed: the end-to-end test needs it (.ci/run installs it)"),
          .timeLimit(.minutes(2)), arguments: TourKind.allCases)
    func rafttopTourGoesThroughEveryStageInTmux(_ kind: TourKind) async throws {
        let binary = try #require(EndToEndTests.binary, "no .build/debug/rafttop: run `swift build` before `swift test`")
        // The same tour as the binary gives: same members, same seed, so the same stages.
        let expected = try TourTests.driver(kind, members: 3, seed: 1)
        let stages = expected.stages
        expected.close()
        let session = Tmux(path: EndToEndTests.tmux!, socket: "rafttop-tour-\(kind.rawValue)-\(getpid())")
        defer { session.run(["kill-server"]) }
        let script = "cd '\(EndToEndTests.packageRoot.path)'; '\(binary)' tour \(kind.rawValue) --seed 1; echo RAFTTOP-EXITED $?; sleep 120"
        session.run(["new-session", "-d", "-x", "80", "-y", "24", "-s", "e2e", "sh", "-c", script])
        for (i, stage) in stages.enumerated() {
            // The first of the stage's names; a caption wraps between names, never inside one.
            let function = String(stage.functions.split(separator: " · ").first!)
            let screen = try await session.waitFor("stage \(i + 1) of \(stages.count), naming \(function)") { text in
                text.contains("stage \(i + 1) of \(stages.count)") && text.contains(function)
            }
            #expect(screen.contains("┌ members"), "the ordinary screen stays under the caption:\n\(screen)")
            #expect(screen.contains(stage.file.split(separator: " ").first.map(String.init) ?? stage.file))
            session.keys("Space")
        }
        _ = try await session.waitFor("the last stage to say so") { $0.contains("last stage") }
        session.keys("q")
        let screen = try await session.waitFor("rafttop tour to exit") { $0.contains("RAFTTOP-EXITED") }
        #expect(screen.contains("RAFTTOP-EXITED 0"), "\(screen)")
        #expect(screen.contains("\(stages.count) of \(stages.count) stages"), "\(screen)")
    }
}
