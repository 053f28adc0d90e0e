import Cluster
import Logging
import Testing
@testable import TUI

/// Help as pages: every page renders at every size, scrolls to its last line, explains each
/// column of its pane, lists only what works in the current mode, and closes without quitting.
@Suite struct HelpTests {
    static let sizes = [(200, 60), (120, 40), (80, 24)]

    /// Every line of `page` seen on screen while scrolling from the top to the end, at `width` x `height`.
    func seenWhileScrolling(_ page: HelpPage, attached: Bool = false, width: Int, height: Int, snapshot: ClusterSnapshot) -> String {
        var state = Scene.state()
        state.attached = attached
        state.helpVisible = true
        state.helpPage = page
        state.screenHeight = height
        state.screenWidth = width
        let count = HelpOverlay.displayLines(page, attached: attached, screenColumns: width).count
        var seen = ""
        for scroll in 0...HelpOverlay.maxScroll(lineCount: count, screenRows: height) {
            state.helpScroll = scroll
            seen += Screen.render(snapshot, state, width: width, height: height).text + "\n"
        }
        return seen
    }

    @Test func everyPageShowsAllItsLinesAtEverySize() throws {
        let snapshot = try Scene.snapshot()
        for page in HelpPage.allCases {
            for (w, h) in Self.sizes {
                let seen = seenWhileScrolling(page, width: w, height: h, snapshot: snapshot)
                for line in HelpPages.lines(page, attached: false) {
                    // Terms are padded; long meanings may be cut at the box's edge on narrow screens.
                    let termShown = line.term.isEmpty || seen.contains(line.term)
                    let meaningShown = line.meaning.split(separator: " ").allSatisfy { seen.contains($0) }
                    #expect(termShown, "\(page) at \(w)x\(h): \(line.term)")
                    #expect(meaningShown, "\(page) at \(w)x\(h): \(line.meaning)")
                }
            }
        }
    }

    @Test func pagesAtEachSizeMatchTheirScreens() throws {
        let snapshot = try Scene.snapshot()
        for page in HelpPage.allCases {
            for (w, h) in Self.sizes {
                var state = Scene.state()
                state.helpVisible = true
                state.helpPage = page
                RenderTests().check(Screen.render(snapshot, state, width: w, height: h), against: "help-\(page.rawValue)-\(w)x\(h)")
            }
        }
    }

    @Test func theIndexListsEveryKeyAndCommand() throws {
        let seen = seenWhileScrolling(.index, width: 120, height: 40, snapshot: try Scene.snapshot())
        for binding in KeyMap.bindings { #expect(seen.contains(binding.keys + " "), "help lists \(binding.keys)") }
        for command in CommandParser.commands { #expect(seen.contains(command.usage), "help lists \(command.usage)") }
    }

    @Test func scrollingWithKeysReachesTheLastCommandAt80x24() throws {
        let c = try ControllerTests().makeController()
        defer { c.cluster!.shutdown() }
        c.state.screenHeight = 24
        c.state.screenWidth = 80
        c.handle(.character("?"))
        let snapshot = c.snapshot()
        let last = try #require(CommandParser.commands.last).usage
        #expect(!Screen.render(snapshot, c.state, width: 80, height: 24).text.contains(last + " "))
        for _ in 0..<10 { c.handle(.pageDown) }
        let bottom = Screen.render(snapshot, c.state, width: 80, height: 24).text
        #expect(bottom.contains("quit rafttop"), "\(bottom)")
        let scrolled = c.state.helpScroll
        c.handle(.down)
        #expect(c.state.helpScroll == scrolled, "scrolling stops at the end")
        c.handle(.up)
        c.handle(.character("k"))
        #expect(c.state.helpScroll == scrolled - 2)
        c.handle(.character("j"))
        #expect(c.state.helpScroll == scrolled - 1)
        c.handle(.pageUp)
        c.handle(.pageUp)
        c.handle(.pageUp)
        #expect(c.state.helpScroll == 0)
        #expect(c.state.helpVisible && !c.state.quitRequested)
    }

    @Test func aPanesKeyOpensItsLegend() throws {
        let c = try ControllerTests().makeController()
        defer { c.cluster!.shutdown() }
        let snapshot = c.snapshot()
        c.handle(.character("?"))
        let legends: [(Character, String)] = [("m", "PENDING"), ("w", "durable"), ("t", "took"), ("g", "i4"), ("e", "seconds since"),
                                              ("l", "p99/s"), ("h", "term N")]
        for (key, word) in legends {
            c.handle(.character(key))
            #expect(c.state.helpPage == HelpPage.page(forKey: key))
            let text = Screen.render(snapshot, c.state, width: 120, height: 40).text
            #expect(text.contains(word), "page \(key) explains \(word)")
            #expect(!c.state.quitRequested)
        }
        #expect(c.cluster!.memberState(1) == .up, "no key in help acted on the cluster")
        c.handle(.backspace)
        #expect(c.state.helpPage == .index)
    }

    @Test func theLegendsExplainWhatTheIssueNames() {
        func text(_ page: HelpPage) -> String {
            HelpPages.lines(page, attached: false).map { $0.term + " " + $0.meaning }.joined(separator: "\n")
        }
        #expect(text(.members).contains("PENDING"))
        #expect(text(.members).contains("WAL pane"), "the WAL column is told apart from the WAL pane")
        for word in ["i4", "+1", "c4", "in 2.0"] { #expect(text(.messages).contains(word)) }
        #expect(text(.trace).contains("at ") && text(.trace).contains("took"))
        #expect(text(.wal).contains("empty") && text(.wal).contains("durable") && text(.wal).contains("appended"))
        for column in MembersTable.columns + [MembersTable.authColumn, MembersTable.alarmColumn] {
            #expect(text(.members).contains(column.title), "the members legend explains \(column.title)")
        }
    }

    @Test func attachedHelpLeavesOutWhatCannotWork() {
        let attached = HelpPages.lines(.index, attached: true)
        let terms = Set(attached.map(\.term))
        for gone in ["K", "k", "z", "t", "kill N", "pause N", "transfer N", "partition 1,2 3", "speed FACTOR", "[ ]"] {
            #expect(!terms.contains(gone), "attached help leaves out \(gone)")
        }
        for kept in ["p", "l", "put KEY VALUE", "get KEY", "load RATE", "theme NAME", "q ctrl-c"] {
            #expect(terms.contains(kept), "attached help keeps \(kept)")
        }
        let local = Set(HelpPages.lines(.index, attached: false).map(\.term))
        #expect(local.contains("K") && local.contains("kill N"))
    }

    @Test func noHelpLineIsCutAt80Columns() {
        let inner = HelpOverlay.box(in: Rect(x: 0, y: 0, width: 80, height: 1)).width - 2
        for page in HelpPage.allCases {
            for line in HelpOverlay.displayLines(page, attached: false, screenColumns: 80) where !line.isHeading {
                let width = line.isParagraph ? line.meaning.count + 1 : 1 + HelpOverlay.termWidth(page) + 1 + line.meaning.count
                #expect(width <= inner, "\(page): '\(line.meaning)' is \(width) wide, the box \(inner)")
                #expect(line.term.count <= HelpOverlay.termWidth(page), "\(page): term '\(line.term)' is cut")
            }
        }
    }
}
