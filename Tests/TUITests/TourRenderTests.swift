import Cluster
import Logging
import Testing
@testable import TUI

/// The tour's caption over the ordinary screen at 200x60, 120x40 and 80x24: the panes stay,
/// the caption is whole (wrapped, never cut), and the area it names is lit up.
@Suite struct TourRenderTests {
    static let sizes = [(200, 60), (120, 40), (80, 24)]

    /// A controller giving the `kind` tour, as `rafttop tour` does.
    func controller(_ kind: TourKind) throws -> (Controller, TourDriver) {
        let tour = try TourTests.driver(kind)
        let c = Controller(cluster: tour.cluster, themes: ThemeCatalog(directories: [ThemeTests.themesDirectory]),
                           theme: .builtIn, themeName: "default", seed: 3,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        c.begin(tour, quitsAtEnd: true)
        return (c, tour)
    }

    /// Whether every line of the wrapped caption, function and file is on the screen.
    func captionIsWhole(_ view: TourView, in canvas: Canvas) -> Bool {
        let width = captionBox(canvas).width - 4
        let lines = TourOverlay.lines(view, width: width).map { $0.map(\.0).joined() }
        let text = canvas.text
        return lines.allSatisfy { text.contains($0) } && text.contains("stage \(view.stageNumber) of \(view.stageCount)")
    }

    @Test(arguments: TourKind.allCases)
    func everyCaptionIsWholeAtEverySize(_ kind: TourKind) throws {
        let (c, tour) = try controller(kind)
        defer { tour.cluster.shutdown() }
        for _ in tour.stages.indices {
            let view = try #require(c.state.tour)
            for (width, height) in Self.sizes {
                let canvas = Screen.render(c.snapshot(), c.state, width: width, height: height)
                #expect(captionIsWhole(view, in: canvas), "stage \(view.stageNumber) of the \(kind) tour at \(width)x\(height):\n\(canvas.text)")
                #expect(canvas.text.contains("┌ members"), "the ordinary panes stay visible")
                let lit = view.areas.flatMap { TourOverlay.rects(for: $0, c.snapshot(), c.state, layout: Layout.compute(width: width, height: height, memberCount: 3)
                    .givingTraceRoom(detailPane: c.state.detailPane, memberCount: 3)) }
                #expect(!lit.isEmpty, "stage \(view.stageNumber) of the \(kind) tour lights something up at \(width)x\(height)")
                for rect in lit {
                    #expect(canvas[rect.x, rect.y].role == .selection || TourOverlay.overlap(rect, [captionBox(canvas)]) > 0,
                            "the area of stage \(view.stageNumber) is lit at \(width)x\(height)")
                }
            }
            c.handle(.character(" "))
        }
    }

    @Test func sevenMembersAt80x24KeepTheMembersTableAndTheWholeCaption() throws {
        let tour = try TourTests.driver(.put, members: 7)
        let c = Controller(cluster: tour.cluster, themes: ThemeCatalog(directories: [ThemeTests.themesDirectory]),
                           theme: .builtIn, themeName: "default", seed: 3,
                           logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        defer { tour.cluster.shutdown() }
        c.begin(tour, quitsAtEnd: true)
        for _ in tour.stages.indices {
            let view = try #require(c.state.tour)
            let canvas = Screen.render(c.snapshot(), c.state, width: 80, height: 24)
            #expect(captionIsWhole(view, in: canvas), "stage \(view.stageNumber):\n\(canvas.text)")
            for id in 1...7 { #expect(canvas.text.contains("m\(id)   "), "m\(id)'s row stays in view at stage \(view.stageNumber)") }
            c.handle(.character(" "))
        }
    }

    @Test func theHeaderSaysTheTourStandsStillAndLeavingRestoresIt() throws {
        let (c, tour) = try controller(.put)
        defer { tour.cluster.shutdown() }
        #expect(Screen.render(c.snapshot(), c.state, width: 120, height: 40).text.contains("PAUSED"))
        c.handle(.character("q"))
        #expect(!c.state.paused)
    }

    /// The caption's box: its top-left corner drawn in the accent role.
    func captionBox(_ canvas: Canvas) -> Rect {
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas[x, y].scalar == "┌" && canvas[x, y].role == .accent {
                var right = x + 1
                while right < canvas.width && canvas[right, y].scalar != "┐" { right += 1 }
                var bottom = y + 1
                while bottom < canvas.height && canvas[x, bottom].scalar != "└" { bottom += 1 }
                return Rect(x: x, y: y, width: right - x + 1, height: bottom - y + 1)
            }
        }
        return Rect(x: 0, y: 0, width: 0, height: 0)
    }

    @Test(arguments: sizes)
    func thePutTourAtTheMsgAppStage(_ size: (Int, Int)) throws {
        let (c, tour) = try controller(.put)
        defer { tour.cluster.shutdown() }
        while c.state.tour?.functions.contains("r.transport.Send") != true { c.handle(.character("n")) }
        let canvas = Screen.render(c.snapshot(), c.state, width: size.0, height: size.1)
        RenderTests().check(canvas, against: "tour-put-\(size.0)x\(size.1)")
        #expect(canvas.text.contains("MsgApp "), "the messages pane shows the MsgApps:\n\(canvas.text)")
        #expect(captionBox(canvas).width > 0)
    }
}
