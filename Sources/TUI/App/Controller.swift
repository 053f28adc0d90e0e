import Locking
import Cluster
import Logging

/// Results that arrive on the cluster's threads (put completions), picked up by the UI thread.
final class Inbox: Sendable {
    private let messages = Locked<[StatusMessage]>([])

    func post(_ message: StatusMessage) {
        messages.withLock { $0.append(message) }
    }

    func drain() -> [StatusMessage] {
        messages.withLock { m in
            defer { m.removeAll() }
            return m
        }
    }
}

/// Turns keys into actions and carries the actions out on the cluster. Runs on the UI thread;
/// it never waits for the cluster: writes complete later and report through an inbox.
public final class Controller {
    public let source: DataSource
    /// The cluster rafttop runs; nil when attached to an external one.
    public var cluster: Cluster? {
        if case .inProcess(let cluster) = source { return cluster }
        return nil
    }
    public var state = UIState()
    public private(set) var theme: Theme
    /// Grows every time the theme changes, so the backend knows to set colours again.
    public private(set) var themeVersion = 0
    public let themes: ThemeCatalog
    let inbox = Inbox()
    let logger: Logger
    var load: LoadGenerator?
    /// Real time: a single step runs the frozen cluster until this time of its clock.
    var stepEndsNanos: UInt64?
    /// Real time: what the frozen cluster showed when it froze (or after the last action taken
    /// while frozen), shown until it runs again, so a paused screen cannot change.
    var frozenSnapshot: ClusterSnapshot?
    /// Simulated time: what `:stopon` watches for, to pause when it happens.
    var electionWatch: ElectionWatch?
    /// Network settings before slow motion stretched the latency.
    var baseNetwork: SimulatedNetwork.Settings
    var random: SeededRandom
    /// Frames of cluster time per second measured, for puts per second and the p99 sparkline.
    private var rateWindowStart: (nanos: UInt64, puts: Int)?
    private var lastIntervalNanos: UInt64 = 0
    /// The guided tour being given, if any: while it runs, the screen shows its stops.
    var tour: TourDriver?
    /// `rafttop tour`: leaving the tour quits.
    var quitsWhenTourEnds = false
    /// Whether the screen was paused before the tour, which shows its cluster paused.
    var pausedBeforeTour = false
    /// The trace pane's pinned put, cursor and remembered puts while a tour shows its own.
    var traceStateBeforeTour: (pinned: StageTraceView?, cursor: UInt64?, seen: [StageTraceView]) = (nil, nil, [])

    /// Simulated time one single step runs.
    public static let stepNanos: UInt64 = 1_000_000
    public static let speedsRealTime: [Double] = [0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1]
    public static let speedsSimulated: [Double] = [0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]
    public static let loadRates: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]

    public convenience init(cluster: Cluster, themes: ThemeCatalog, theme: Theme, themeName: String, seed: UInt64, logger: Logger) {
        self.init(source: .inProcess(cluster), themes: themes, theme: theme, themeName: themeName, seed: seed, logger: logger)
    }

    /// A controller over a cluster rafttop only watches and writes to.
    public convenience init(attached: any AttachedCluster, themes: ThemeCatalog, theme: Theme, themeName: String, seed: UInt64, logger: Logger) {
        self.init(source: .attached(attached), themes: themes, theme: theme, themeName: themeName, seed: seed, logger: logger)
    }

    init(source: DataSource, themes: ThemeCatalog, theme: Theme, themeName: String, seed: UInt64, logger: Logger) {
        self.source = source
        self.themes = themes
        self.theme = theme
        self.logger = logger
        random = SeededRandom(seed: seed)
        switch source {
        case .inProcess(let cluster):
            baseNetwork = cluster.networkSettings
            state.simulated = cluster.config.driver != .realTime
        case .attached(let external):
            baseNetwork = SimulatedNetwork.Settings()
            state.attached = true
            state.launched = external.controls != nil
        }
        state.themeName = themeName
        state.startNanos = source.nowNanos()
    }

    /// Handles one key press: the command line and the help overlay take keys first.
    public func handle(_ key: Key) {
        if tour != nil && handleTourKey(key) { return }
        if state.commandLineOpen {
            let names = themes.names
            switch state.commandLine.handle(key, complete: { CommandParser.completions(for: $0, themeNames: names) }) {
            case .editing: break
            case .cancelled: state.commandLineOpen = false
            case .submitted(let line):
                state.commandLineOpen = false
                guard !line.isEmpty else { return }
                logger.info("command: \(line)")
                switch CommandParser.parse(line, memberCount: source.memberCount) {
                case .success(let action): apply(action)
                case .failure(let error): report(error.message, .error)
                }
            }
            return
        }
        if state.filterOpen { return handleFilter(key) }
        if state.helpVisible { return handleHelp(key) }
        if handlePaneKey(key) { return }
        if let action = KeyMap.action(for: key) { apply(action) }
    }

    func report(_ text: String, _ kind: StatusMessage.Kind = .info) {
        state.status = StatusMessage(text, kind: kind)
        switch kind {
        case .info: logger.info("\(text)")
        case .warning: logger.warning("\(text)")
        case .error: logger.error("\(text)")
        }
    }

    /// Runs once per frame before the snapshot is taken: moves simulated time on, ends a real-time
    /// single step, and picks up results that arrived.
    public func beginFrame(frameNanos: UInt64) {
        guard tour == nil, case .inProcess(let cluster) = source else { return drainInbox() }
        if state.simulated {
            if !state.paused, let reason = advance(cluster, byNanos: UInt64(Double(frameNanos) * state.speed)) {
                state.paused = true
                report(reason, .warning)
            }
        } else if let end = stepEndsNanos, cluster.nowNanos() >= end {
            stepEndsNanos = nil
            cluster.freeze()
            frozenSnapshot = nil
        }
        drainInbox()
    }

    private func drainInbox() {
        for message in inbox.drain() {
            state.status = message
        }
    }

    /// The snapshot the next frame shows.
    public func snapshot() -> ClusterSnapshot {
        if let stop = tour?.current { return stop.observation.snapshot }
        guard case .inProcess(let cluster) = source, cluster.isFrozen else { return source.snapshot() }
        if let frozenSnapshot { return frozenSnapshot }
        let taken = source.snapshot()
        frozenSnapshot = taken
        return taken
    }

    /// Runs once per frame with the frame's snapshot: puts per second and the p99 interval.
    public func observe(_ snapshot: ClusterSnapshot) {
        guard tour == nil else { return }
        observeTraces(snapshot)
        let now = snapshot.nowNanos
        guard let window = rateWindowStart else {
            rateWindowStart = (now, snapshot.putsAcknowledged)
            lastIntervalNanos = now
            return
        }
        if now >= window.nanos + 1_000_000_000 {
            state.putsPerSecond = Double(snapshot.putsAcknowledged - window.puts) * 1e9 / Double(now - window.nanos)
            rateWindowStart = (now, snapshot.putsAcknowledged)
        }
        if now >= lastIntervalNanos + 1_000_000_000 {
            source.closeLatencyInterval()
            lastIntervalNanos = now
        }
    }

    /// Stops the load generator; call before shutting the cluster down.
    public func stop() {
        leaveTour()
        load?.stop()
        load = nil
        if case .attached(let external) = source { external.stopLoad() }
    }

    func setTheme(_ nameOrPath: String) {
        switch themes.find(nameOrPath) {
        case .success(let loaded):
            theme = loaded
            themeVersion += 1
            state.themeName = loaded.name
            report("theme \(loaded.name)")
        case .failure(let problem):
            report(problem.message + "; keeping \(state.themeName)", .error)
        }
    }
}
