import Cluster
import Foundation
import Logging
import Testing
@testable import TUI

/// Actions that change nothing say so and log no event; a theme that cannot load keeps the one
/// shown; long messages and the too-small notice fit the screen.
@Suite struct SmallFaultTests {
    func command(_ line: String, _ c: Controller) {
        c.handle(.character(":"))
        for ch in line { c.handle(.character(ch)) }
        c.handle(.enter)
    }

    func eventCount(_ c: Controller) -> Int { c.cluster!.snapshot().events.count }

    @Test func aThemeThatDoesNotExistKeepsTheCurrentOneAndIsNamed() throws {
        let c = try ControllerTests().makeController()
        defer { c.cluster!.shutdown() }
        command("theme nord", c)
        #expect(c.state.themeName == "nord")
        let version = c.themeVersion
        let nord = c.theme
        command("theme nope", c)
        #expect(c.state.themeName == "nord")
        #expect(c.theme == nord)
        #expect(c.themeVersion == version)
        #expect(c.state.status?.kind == .error)
        #expect(c.state.status?.text.contains("'nope'") == true, "\(String(describing: c.state.status))")
        #expect(c.state.status?.text.contains("keeping nord") == true)
    }

    @Test func resumingARunningMemberChangesNothing() throws {
        let c = try ControllerTests().makeController()
        defer { c.cluster!.shutdown() }
        let before = eventCount(c)
        command("resume 1", c)
        #expect(c.state.status?.kind == .warning)
        #expect(c.state.status?.text == "member 1 is running, not paused: nothing happened")
        #expect(eventCount(c) == before)
    }

    @Test func pausingAPausedMemberChangesNothing() throws {
        let c = try ControllerTests().makeController()
        defer { c.cluster!.shutdown() }
        command("pause 2", c)
        #expect(c.cluster!.memberState(2) == .paused)
        #expect(c.state.status?.text == "member 2 paused")
        let before = eventCount(c)
        command("pause 2", c)
        #expect(c.state.status?.kind == .warning)
        #expect(c.state.status?.text == "member 2 is already paused: nothing happened")
        #expect(eventCount(c) == before)
        command("resume 2", c)
        #expect(c.cluster!.memberState(2) == .up)
        #expect(c.state.status?.text == "member 2 resumed")
    }

    @Test func transferToTheLeaderSaysItIsAlreadyLeader() throws {
        let c = try ControllerTests().makeController()
        defer { c.cluster!.shutdown() }
        let leader = try #require(c.cluster!.leader)
        let before = eventCount(c)
        command("transfer \(leader)", c)
        #expect(c.state.status?.kind == .warning)
        #expect(c.state.status?.text == "member \(leader) is already the leader: nothing to transfer")
        #expect(eventCount(c) == before)
        #expect(c.cluster!.leader == leader)
    }

    @Test func aLongStatusMessageEndsWithAnEllipsisBeforeTheRightHandStatus() throws {
        var state = Scene.state()
        state.status = StatusMessage(String(repeating: "very long message ", count: 20), kind: .error)
        let canvas = Screen.render(try Scene.snapshot(), state, width: 80, height: 24)
        let line = canvas.line(23)
        let right = "m1 selected │ theme default"
        #expect(line.hasSuffix(right), "\(line)")
        let left = line.dropLast(right.count).trimmingCharacters(in: .whitespaces)
        #expect(left.hasSuffix("…"), "\(line)")
        #expect(line.contains("… "), "a gap between the message and the right-hand status: \(line)")
    }

    @Test func theTooSmallMessageFitsAtEverySizeFrom20x5() throws {
        let snapshot = try Scene.snapshot()
        let tooSmall = (20..<Layout.minimumWidth).flatMap { w in (5..<Layout.minimumHeight).map { (w, $0) } }
            + [(80, 10), (200, 15), (59, 40), (20, 100)]
        for (width, height) in tooSmall {
            let canvas = Screen.render(snapshot, Scene.state(), width: width, height: height)
            let words = canvas.text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
            #expect(words.contains("needs"), "\(width)x\(height)")
            #expect(words.hasSuffix("q quits"), "\(width)x\(height): \(words)")
            #expect(words.contains("\(Layout.minimumWidth)x\(Layout.minimumHeight)"), "\(width)x\(height)")
        }
    }

    @Test func wrappingKeepsWordsWholeAndLinesWithinTheWidth() {
        #expect(Format.wrapped("aa bb cc", 5) == ["aa bb", "cc"])
        #expect(Format.wrapped("abcdefgh", 3) == ["abc", "def", "gh"])
        #expect(Format.ellipsized("hello world", 8) == "hello w…")
        #expect(Format.ellipsized("hello world", 7) == "hello…")
        #expect(Format.ellipsized("hello", 8) == "hello")
    }

    @Test func identicalMessagesShareOneRowWithACount() throws {
        var snapshot = try Scene.snapshot()
        let first = try #require(snapshot.inFlight.first, "the scene has messages in flight")
        snapshot.inFlight = Array(repeating: first, count: 3) + snapshot.inFlight.dropFirst()
        let rows = MessagesPane.collapsed(snapshot.inFlight.sorted { $0.dueNanos < $1.dueNanos }, nowNanos: snapshot.nowNanos)
        let text = MessagesPane.describe(first)
        #expect(rows.filter { $0.text == text }.count == 1)
        #expect(rows.first { $0.text == text }?.count == 3)
        let screen = Screen.render(snapshot, Scene.state(), width: 120, height: 40).text
        #expect(screen.contains(text + " x3"), "\(screen)")
        #expect(screen.split(separator: "\n").filter { $0.contains(text) }.count == 1)
    }
}
