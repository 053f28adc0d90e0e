import Raft

/// A line of feedback in the status line: the result of the last action or command.
public struct StatusMessage: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case info, warning, error }
    public var text: String
    public var kind: Kind

    public init(_ text: String, kind: Kind = .info) {
        self.text = text
        self.kind = kind
    }
}

/// The panes the narrow layout shows one at a time (Tab cycles).
public enum DetailPane: String, Sendable, CaseIterable {
    case latency, trace, messages, events

    public var next: DetailPane {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// Everything the views show besides the cluster snapshot: what the person selected, typed and
/// was told, and how the cluster is being run.
public struct UIState: Sendable {
    public var selected: NodeID = 1
    public var helpVisible = false
    public var commandLineOpen = false
    public var commandLine = CommandLineEditor()
    public var status: StatusMessage?
    public var themeName = "default"
    /// Which trace the trace pane shows: 0 is the newest put.
    public var traceOffset = 0
    public var detailPane: DetailPane = .latency
    /// The whole cluster and display are paused.
    public var paused = false
    /// Slow motion: 1 is real speed, 0.1 ten times slower.
    public var speed = 1.0
    public var simulated = false
    /// Watching an external cluster: only puts, reads, deletes and the load act on it.
    public var attached = false
    public var putsPerSecond = 0.0
    /// The load generator's rate in puts per second, and whether it runs.
    public var loadRate = 50.0
    public var loadRunning = false
    /// The clock reading the UI started at, so events show seconds since then.
    public var startNanos: UInt64 = 0
    public var quitRequested = false
    /// The user puts, gets and deletes run as (`:user NAME`); nil for none.
    public var user: String?
    /// The help page shown while help is open, and how many lines it is scrolled down.
    public var helpPage: HelpPage = .index
    public var helpScroll = 0
    /// The terminal's size at the last frame, so scrolling help knows what a page is.
    public var screenRows = 24
    public var screenColumns = 80
    /// The `/` filter of the WAL and events panes: a substring, empty for none; and its editor.
    public var filter = ""
    public var filterOpen = false
    public var filterLine = CommandLineEditor()
    /// How many entries the WAL pane and events the events pane are scrolled back from the newest.
    public var walScroll = 0
    public var eventsScroll = 0

    public init() {}
}
