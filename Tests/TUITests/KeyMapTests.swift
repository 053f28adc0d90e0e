import Testing
@testable import TUI

@Suite struct KeyMapTests {
    @Test(arguments: [
        (Key.character("q"), Action.quit),
        (.control("c"), .quit),
        (.character("?"), .toggleHelp),
        (.character(":"), .openCommandLine),
        (.character("p"), .putRandom),
        (.character("l"), .toggleLoad),
        (.character("+"), .changeLoadRate(faster: true)),
        (.character("-"), .changeLoadRate(faster: false)),
        (.character("K"), .kill(.leader)),
        (.character("1"), .select(1)),
        (.character("9"), .select(9)),
        (.character("k"), .kill(.selected)),
        (.character("r"), .restart(.selected)),
        (.character("z"), .togglePause(.selected)),
        (.character("i"), .isolate(.selected)),
        (.character("h"), .heal),
        (.character("t"), .transfer(.selected)),
        (.character(" "), .togglePauseAll),
        (.character("s"), .step),
        (.character("."), .step),
        (.character("<"), .changeSpeed(faster: false)),
        (.character(">"), .changeSpeed(faster: true)),
        (.character("["), .selectTrace(older: true)),
        (.character("]"), .selectTrace(older: false)),
        (.tab, .cycleDetailPane),
        (.character("R"), .resetLatency),
        (.character("T"), .cycleTheme),
        (.escape, .dismiss),
        (.control("l"), .redraw),
        (.resize, .redraw),
    ])
    func keysMapToActions(key: Key, action: Action) {
        #expect(KeyMap.action(for: key) == action)
    }

    @Test func unboundKeysDoNothing() {
        for key in [Key.character("0"), .character("x"), .character("界"), .control("z"), .backTab, .pageUp] {
            #expect(KeyMap.action(for: key) == nil)
        }
    }

    /// Every key the map acts on appears in the help overlay's bindings.
    @Test func everyActiveKeyIsListedInHelp() {
        let listed = KeyMap.bindings.flatMap { $0.keys.split(separator: " ").map(String.init) }
        let printable = (32...126).compactMap(Unicode.Scalar.init).map { Character($0) }
        for c in printable where KeyMap.action(for: .character(c)) != nil {
            let name = c == " " ? "space" : String(c)
            let covered = listed.contains(name) || (c.isNumber && listed.contains("1-9"))
                || (c == "=" && listed.contains("+")) || (c == "_" && listed.contains("-")) || (c == "," && listed.contains("<"))
            #expect(covered, "key '\(c)' is listed in the help")
        }
    }

    @Test func rawTerminalBytesDecodeToKeys() {
        #expect(Key(scalar: "\u{03}") == .control("c"))
        #expect(Key(scalar: "\r") == .enter)
        #expect(Key(scalar: "\u{7f}") == .backspace)
        #expect(Key(scalar: "\u{1b}") == .escape)
        #expect(Key(scalar: "\t") == .tab)
        #expect(Key(scalar: "a") == .character("a"))
    }
}
