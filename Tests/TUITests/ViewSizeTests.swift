import Cluster
import Testing
@testable import TUI

/// Every view of the screen at the three sizes people use (a large terminal, the common 120x40
/// and the smallest usual 80x24), compared with its expected screen: the in-process cluster
/// with the trace pane focused and a put pinned, and attached to an external cluster. Help
/// pages, the trace pane and the tour have their own (HelpTests, TracePaneTests,
/// TourRenderTests).
@Suite struct ViewSizeTests {
    static let sizes = [(200, 60), (120, 40), (80, 24)]

    @Test(arguments: sizes)
    func theMainScreen(_ size: (Int, Int)) throws {
        let canvas = Screen.render(try Scene.snapshot(), Scene.state(), width: size.0, height: size.1)
        RenderTests().check(canvas, against: "view-main-\(size.0)x\(size.1)")
        for word in ["┌ members", "NODE", "ROLE", "COMMIT", "APPLIED", "PENDING", "┌ WAL", "trace", "? help"] {
            #expect(canvas.text.contains(word), "\(word) at \(size.0)x\(size.1)")
        }
    }

    @Test(arguments: sizes)
    func aPinnedPutWithTheTraceFocused(_ size: (Int, Int)) throws {
        let snapshot = try Scene.snapshot()
        var state = Scene.state()
        state.focus = .trace
        let pinned = try #require(snapshot.traces.last)
        state.pinnedTrace = pinned
        state.detailPane = .trace
        let canvas = Screen.render(snapshot, state, width: size.0, height: size.1)
        RenderTests().check(canvas, against: "view-pinned-\(size.0)x\(size.1)")
        #expect(canvas.text.contains("pinned req \(TraceList.idText(pinned.requestID))"))
        for stage in ["recv", "prop", "append", "fsync", "commit", "apply", "responded"] {
            #expect(canvas.text.contains(stage), "the stage \(stage) shows at \(size.0)x\(size.1)")
        }
    }

    @Test(arguments: sizes)
    func attachedToAnExternalCluster(_ size: (Int, Int)) {
        let canvas = Screen.render(AttachedRenderTests.snapshot(), AttachedRenderTests.state(), width: size.0, height: size.1)
        RenderTests().check(canvas, against: "view-attached-\(size.0)x\(size.1)")
        #expect(canvas.text.contains("leader m1") && canvas.text.contains("k42"))
    }
}
