import Cluster

/// The keys of the main screen and what they do. The help overlay is drawn from `bindings`, so
/// every key that does something is listed there.
public enum KeyMap {
    public struct Binding: Sendable {
        public var keys: String
        public var help: String
        public var action: Action
    }

    /// Every binding, in the order the help overlay lists them.
    public static let bindings: [Binding] = [
        Binding(keys: "p", help: "put one random key", action: .putRandom),
        Binding(keys: "l", help: "start / stop the load generator", action: .toggleLoad),
        Binding(keys: "+ -", help: "load rate up / down", action: .changeLoadRate(faster: true)),
        Binding(keys: "K", help: "kill the leader", action: .kill(.leader)),
        Binding(keys: "1-9", help: "select a member", action: .select(1)),
        Binding(keys: "k", help: "kill the selected member", action: .kill(.selected)),
        Binding(keys: "r", help: "restart the selected member", action: .restart(.selected)),
        Binding(keys: "z", help: "pause / resume the selected member", action: .togglePause(.selected)),
        Binding(keys: "i", help: "isolate the selected member", action: .isolate(.selected)),
        Binding(keys: "h", help: "heal the network", action: .heal),
        Binding(keys: "t", help: "make the selected member leader", action: .transfer(.selected)),
        Binding(keys: "space", help: "pause / resume cluster and display", action: .togglePauseAll),
        Binding(keys: "s .", help: "single-step while paused", action: .step),
        Binding(keys: "< >", help: "slower / faster (slow motion)", action: .changeSpeed(faster: true)),
        Binding(keys: "[ ]", help: "pin an older / newer put in the trace", action: .selectTrace(older: true)),
        Binding(keys: "tab", help: "focus next pane; narrow: next pane", action: .cycleDetailPane),
        Binding(keys: "R", help: "reset latency statistics", action: .resetLatency),
        Binding(keys: "T", help: "next theme", action: .cycleTheme),
        Binding(keys: ":", help: "command line (tab, up/down)", action: .openCommandLine),
        Binding(keys: "?", help: "this help", action: .toggleHelp),
        Binding(keys: "esc", help: "close help, clear the status line", action: .dismiss),
        Binding(keys: "ctrl-l", help: "redraw the screen", action: .redraw),
        Binding(keys: "q ctrl-c", help: "quit", action: .quit),
        Binding(keys: "up down", help: "select a member or put (focused pane)", action: .moveSelection(up: true)),
        Binding(keys: "enter", help: "pin the selected put; esc unpins", action: .openSelected),
        Binding(keys: "click", help: "select the member or put clicked", action: .click(x: 0, y: 0)),
    ]

    /// The action for `key` on the main screen, or nil when the key does nothing.
    public static func action(for key: Key) -> Action? {
        switch key {
        case .control("c"): return .quit
        case .control("l"): return .redraw
        case .escape: return .dismiss
        case .tab: return .cycleDetailPane
        case .resize: return .redraw
        case .up: return .moveSelection(up: true)
        case .down: return .moveSelection(up: false)
        case .enter: return .openSelected
        case .mouse(let x, let y): return .click(x: x, y: y)
        case .character(let c): return action(for: c)
        default: return nil
        }
    }

    private static func action(for c: Character) -> Action? {
        if let digit = c.wholeNumberValue, (1...9).contains(digit), c.isASCII {
            return .select(NodeID(digit))
        }
        switch c {
        case "q": return .quit
        case "?": return .toggleHelp
        case ":": return .openCommandLine
        case "p": return .putRandom
        case "l": return .toggleLoad
        case "+", "=": return .changeLoadRate(faster: true)
        case "-", "_": return .changeLoadRate(faster: false)
        case "K": return .kill(.leader)
        case "k": return .kill(.selected)
        case "r": return .restart(.selected)
        case "z": return .togglePause(.selected)
        case "i": return .isolate(.selected)
        case "h": return .heal
        case "t": return .transfer(.selected)
        case " ": return .togglePauseAll
        case "s", ".": return .step
        case "<", ",": return .changeSpeed(faster: false)
        case ">": return .changeSpeed(faster: true)
        case "[": return .selectTrace(older: true)
        case "]": return .selectTrace(older: false)
        case "R": return .resetLatency
        case "T": return .cycleTheme
        default: return nil
        }
    }
}
