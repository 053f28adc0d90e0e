import Raft

/// Which member an action is for.
public enum MemberTarget: Sendable, Hashable {
    /// The member selected with 1-9.
    case selected
    /// The leader at the time the action is applied.
    case leader
    case member(NodeID)
}

/// What a person asked for, by key or command line; the controller carries it out.
public enum Action: Sendable, Hashable {
    case quit
    case toggleHelp
    /// Esc: closes the help overlay and clears the status line.
    case dismiss
    case openCommandLine
    case redraw

    case putRandom
    case put(key: String, value: String)
    case get(key: String)
    case delete(key: String)

    case toggleLoad
    case changeLoadRate(faster: Bool)
    /// Puts per second; 0 stops the load.
    case setLoadRate(Double)

    case select(NodeID)
    case kill(MemberTarget)
    case restart(MemberTarget)
    case pause(MemberTarget)
    case resume(MemberTarget)
    case togglePause(MemberTarget)
    case isolate(MemberTarget)
    case transfer(MemberTarget)
    case partition([[NodeID]])
    case heal

    /// Pauses or resumes the whole cluster and display.
    case togglePauseAll
    /// While paused, runs the cluster for one step.
    case step
    case changeSpeed(faster: Bool)
    case setSpeed(Double)

    case setLatency(millis: Double)
    case setLoss(percent: Double)

    case cycleTheme
    case setTheme(String)

    /// Shows an older (`true`) or newer put in the trace pane.
    case selectTrace(older: Bool)
    /// In the narrow layout, shows the next of the detail panes.
    case cycleDetailPane
    case resetLatency
}
