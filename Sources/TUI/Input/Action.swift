import Cluster

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
    case put(key: String, value: String, lease: Int64 = 0)
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
    /// etcd's MemberAdd: a new member (a learner when asked), started in the process.
    case addMember(learner: Bool)
    /// etcd's MemberRemove: the member stops for good.
    case removeMember(MemberTarget)
    /// etcd's MemberPromote: a learner in sync with the leader becomes a voter.
    case promote(MemberTarget)

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

    /// Pins the put one older (`true`) or newer than the one the trace pane shows.
    case selectTrace(older: Bool)
    /// In the narrow layout, shows the next of the detail panes.
    case cycleDetailPane
    case resetLatency

    /// Puts, gets and deletes from the UI run as this user (nil: as no user).
    case setUser(String?)
    /// Sets up auth, as root.
    case auth(AuthSetup)
    case lease(LeaseCommand)
    /// Every WAL fsync of the member takes this much longer (`:disk N MS`; 0 restores it).
    case setDiskDelay(member: NodeID, millis: Double)
    /// In simulated time, pause when an election starts (`:stopon`); nil stops watching.
    case stopOn(ElectionWatch.Condition?)
    /// Starts a guided tour (`:tour`, `:tour failover`) in a simulated cluster of its own.
    case tour(TourKind)
    /// `:trace KEY` or `:trace ID` pins that put in the trace pane; nil unpins.
    case pinTrace(String?)
    /// Up (`true`) or Down: the previous or next member, or put, in the focused pane.
    case moveSelection(up: Bool)
    /// Enter: pins the put highlighted in the trace pane.
    case openSelected
    /// A mouse click at a cell of the screen: selects the member or put there.
    case click(x: Int, y: Int)
}

/// The lease commands of the command line, as etcdctl's: ids are hexadecimal.
public enum LeaseCommand: Sendable, Hashable {
    case grant(ttlSeconds: Int64)
    case revoke(id: Int64)
    /// One keep-alive: the lease's TTL starts again.
    case keepAlive(id: Int64)
}
