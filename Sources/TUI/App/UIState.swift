import Cluster

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
    /// What simulated time pauses on (`:stopon`), as the command names it; nil for nothing.
    public var stopOn: String?
    /// The caption of the guided tour's current stage, while a tour runs.
    public var tour: TourView?
    /// Which pane the arrows and Enter act on.
    public var focus: Focus = .members
    /// The put the trace pane stays on (`:trace`, Enter, `[` `]`), as last seen: kept after it
    /// leaves the snapshot's recent traces. Nil: the pane follows the newest put.
    public var pinnedTrace: StageTraceView?
    /// The put highlighted in the trace pane's list of recent puts; nil: the one shown.
    public var traceCursor: UInt64?
    /// Traces seen in recent frames, newest first: a put stays listed when the member that held
    /// its trace dies.
    public var seenTraces: [StageTraceView] = []
    /// The members table's rows, by member id, at the last frame: what arrows and clicks select.
    public var memberRows: [NodeID] = []
    /// The terminal's size at the last frame: Tab, mouse clicks and help's scrolling depend on it.
    public var screenWidth = 80
    public var screenHeight = 24
    /// The help page shown while help is open, and how many lines it is scrolled down.
    public var helpPage: HelpPage = .index
    public var helpScroll = 0
    /// The `/` filter of the WAL and events panes: a substring, empty for none; and its editor.
    public var filter = ""
    public var filterOpen = false
    public var filterLine = CommandLineEditor()
    /// How many entries the WAL pane and events the events pane are scrolled back from the newest.
    public var walScroll = 0
    public var eventsScroll = 0
    /// Over real etcd that rafttop launched: member and network controls act on its processes and peer links.
    public var launched = false

    public init() {}
}

/// The pane that the arrows and Enter act on: members (select a member) or the trace (go
/// through recent puts, Enter pins one). In the wide layout Tab moves it; in the narrow one Tab
/// shows the next detail pane, and the trace has the focus while it is shown.
public enum Focus: String, Sendable, Hashable {
    case members, trace
}
