import Cluster
import Foundation
import Logging
import Testing
@testable import TUI

/// Following one put and selecting as htop and k9s do, through the controller: keys and clicks
/// become actions, actions change the UI state, and the screen is rendered from it.
@Suite struct TraceSelectionTests {
    static let frameNanos: UInt64 = 50_000_000

    func makeController(width: Int = 120, height: Int = 40) throws -> Controller {
        let controller = try ControllerTests().makeController()
        controller.state.screenWidth = width
        controller.state.screenHeight = height
        frames(controller, 1)
        return controller
    }

    func frames(_ controller: Controller, _ count: Int) {
        for _ in 0..<count {
            controller.beginFrame(frameNanos: Self.frameNanos)
            controller.observe(controller.snapshot())
        }
    }

    func command(_ line: String, _ controller: Controller) {
        controller.handle(.character(":"))
        for c in line { controller.handle(.character(c)) }
        controller.handle(.enter)
    }

    func screen(_ controller: Controller) -> String {
        Screen.render(controller.snapshot(), controller.state, width: controller.state.screenWidth,
                      height: controller.state.screenHeight).text
    }

    /// The request id of the newest traced put of `key`.
    func requestID(of key: String, _ controller: Controller) throws -> UInt64 {
        try #require(controller.state.seenTraces.first { $0.summary.hasPrefix("put \(key) ") }).requestID
    }

    @Test func aPinnedPutStaysWhateverFollows() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        command("put pinme v", c)
        frames(c, 4)
        let id = try requestID(of: "pinme", c)
        command("trace pinme", c)
        #expect(c.state.pinnedTrace?.requestID == id)
        for _ in 0..<50 {
            c.handle(.character("p"))
            frames(c, 1)
        }
        frames(c, 4)
        // Fifty puts later it has left the snapshot's recent traces, and is still the one shown.
        #expect(!c.snapshot().traces.contains { $0.requestID == id })
        let text = screen(c)
        #expect(text.contains("pinned req \(TraceList.idText(id))"))
        #expect(text.contains("put pinme") && text.contains("req \(TraceList.idText(id))"))
        #expect(text.contains("responded "))
        // Esc unpins: the pane follows the newest put again.
        c.handle(.escape)
        #expect(c.state.pinnedTrace == nil)
        #expect(!screen(c).contains("req \(TraceList.idText(id))"))
    }

    @Test func traceTakesAnIDInHexOrDecimalAndAloneUnpins() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        command("put a 1", c)
        command("put b 2", c)
        frames(c, 4)
        let a = try requestID(of: "a", c)
        let b = try requestID(of: "b", c)
        command("trace \(TraceList.idText(a))", c)
        #expect(c.state.pinnedTrace?.requestID == a)
        command("trace \(b)", c)
        #expect(c.state.pinnedTrace?.requestID == b)
        command("trace 0x\(TraceList.idText(a))", c)
        #expect(c.state.pinnedTrace?.requestID == a)
        command("trace", c)
        #expect(c.state.pinnedTrace == nil)
        command("trace nosuchkey", c)
        #expect(c.state.pinnedTrace == nil)
        #expect(c.state.status?.kind == .error)
        #expect(c.state.status?.text.contains("nosuchkey") == true)
    }

    /// `[` and `]` move from the pinned put, not from the newest: puts that follow change nothing.
    @Test func bracketsMoveRelativeToThePinnedPut() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        for key in ["one", "two", "three"] {
            command("put \(key) v", c)
            frames(c, 2)
        }
        command("trace two", c)
        for _ in 0..<5 {
            c.handle(.character("p"))
            frames(c, 1)
        }
        c.handle(.character("["))
        #expect(c.state.pinnedTrace?.requestID == (try requestID(of: "one", c)))
        c.handle(.character("]"))
        c.handle(.character("]"))
        #expect(c.state.pinnedTrace?.requestID == (try requestID(of: "three", c)))
    }

    @Test func arrowsMoveTheSelectedMemberAndTabTheFocus() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        #expect(c.state.selected == 1)
        c.handle(.down)
        c.handle(.down)
        #expect(c.state.selected == 3)
        c.handle(.down)
        #expect(c.state.selected == 3)
        c.handle(.up)
        #expect(c.state.selected == 2)
        // The selected row is highlighted across the table while the members have the focus.
        let canvas = Screen.render(c.snapshot(), c.state, width: 120, height: 40)
        let row = try #require((0..<canvas.height).first { canvas.line($0).contains("▸m2") })
        #expect((2..<60).allSatisfy { canvas[$0, row].role == .selection })
        c.handle(.tab)
        #expect(c.state.focus == .trace)
        c.handle(.tab)
        #expect(c.state.focus == .members)
    }

    @Test func arrowsAndEnterPinAPutFromTheList() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        for key in ["x1", "x2", "x3"] {
            command("put \(key) v", c)
            frames(c, 2)
        }
        c.handle(.tab)
        #expect(c.state.focus == .trace)
        c.handle(.down)
        c.handle(.down)
        #expect(c.state.pinnedTrace == nil)
        c.handle(.enter)
        #expect(c.state.pinnedTrace?.requestID == (try requestID(of: "x1", c)))
        c.handle(.up)
        c.handle(.enter)
        #expect(c.state.pinnedTrace?.requestID == (try requestID(of: "x2", c)))
        #expect(screen(c).contains("pinned req \(TraceList.idText(try requestID(of: "x2", c)))"))
    }

    /// The narrow layout keeps Tab for its detail panes; the trace has the focus while shown.
    @Test func narrowTabCyclesPanesAndTheTraceTakesTheFocus() throws {
        let c = try makeController(width: 80, height: 24)
        defer { c.cluster!.shutdown() }
        #expect(c.state.detailPane == .latency)
        c.handle(.tab)
        #expect(c.state.detailPane == .trace)
        #expect(c.state.focus == .trace)
        c.handle(.tab)
        #expect(c.state.detailPane == .messages)
        #expect(c.state.focus == .members)
    }

    @Test func clicksSelectAMemberAndPinAPut() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        for key in ["c1", "c2"] {
            command("put \(key) v", c)
            frames(c, 2)
        }
        var canvas = Screen.render(c.snapshot(), c.state, width: 120, height: 40)
        let memberRow = try #require((0..<canvas.height).first { canvas.line($0).hasPrefix("│ m3 ") })
        c.handle(.mouse(x: 10, y: memberRow))
        #expect(c.state.selected == 3)
        canvas = Screen.render(c.snapshot(), c.state, width: 120, height: 40)
        let listRow = try #require((0..<canvas.height).first { canvas.line($0).contains("│puts ") })
        let line = canvas.line(listRow)
        let column = try #require(line.range(of: " c1 ")).lowerBound
        let x = line.distance(from: line.startIndex, to: column) + 2
        c.handle(.mouse(x: x, y: listRow))
        #expect(c.state.pinnedTrace?.requestID == (try requestID(of: "c1", c)))
        #expect(c.state.focus == .trace)
        // A click elsewhere selects nothing.
        c.handle(.mouse(x: 0, y: 0))
        #expect(c.state.selected == 3)
        #expect(c.state.pinnedTrace?.requestID == (try requestID(of: "c1", c)))
    }

    @Test func keysAndCommandsMapToTheSelectionActions() throws {
        #expect(KeyMap.action(for: .up) == .moveSelection(up: true))
        #expect(KeyMap.action(for: .down) == .moveSelection(up: false))
        #expect(KeyMap.action(for: .enter) == .openSelected)
        #expect(KeyMap.action(for: .mouse(x: 3, y: 4)) == .click(x: 3, y: 4))
        #expect(try CommandParser.parse("trace k1", memberCount: 3).get() == .pinTrace("k1"))
        #expect(try CommandParser.parse("trace", memberCount: 3).get() == .pinTrace(nil))
        #expect((try? CommandParser.parse("trace a b", memberCount: 3).get()) == nil)
    }
}
