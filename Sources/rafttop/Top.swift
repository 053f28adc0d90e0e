import ArgumentParser
import Cluster
import Foundation
import Logging
import Raft
import Server
import TUI

/// `rafttop` with no subcommand: the live terminal UI over an in-process cluster.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Watch and drive a live in-process cluster in the terminal (the default command).",
        discussion: "Press ? in the UI for every key and command. Themes are TOML files in Themes/ (see Themes/default.toml).")

    @Option(help: "Members in the cluster (1 to 7).")
    var members: Int = 3

    @Option(help: "A theme name from Themes/ or a path to a theme file.")
    var theme: String = "default"

    @Option(name: .customLong("election-ms"), help: "Election timeout in milliseconds (etcd: 1000).")
    var electionMillis: Int = 1000

    @Option(name: .customLong("heartbeat-ms"), help: "Heartbeat interval in milliseconds, the Raft tick (etcd: 100).")
    var heartbeatMillis: Int = 100

    @Option(name: .customLong("latency-ms"), help: "One-way network latency between members in milliseconds.")
    var latencyMillis: Double = 1

    @Option(help: "Seed for the simulated cluster and the random keys, so a run can be replayed.")
    var seed: UInt64?

    @Flag(help: "Run in deterministic simulated time, where pause and single-step are exact.")
    var sim = false

    @Option(help: "Frames per second, 1 to 60.")
    var fps: Int = 20

    @OptionGroup var storage: StorageOptions
    @OptionGroup var placement: PlacementOptions
    @OptionGroup(title: "Passwords") var auth: AuthOptions

    func validate() throws {
        guard ClusterConfig.memberRange.contains(members) else { throw ValidationError("--members must be 1 to 7") }
        guard heartbeatMillis >= 1 && heartbeatMillis <= 10_000 else { throw ValidationError("--heartbeat-ms must be 1 to 10000") }
        guard electionMillis >= 2 * heartbeatMillis && electionMillis <= 600_000 else {
            throw ValidationError("--election-ms must be at least twice --heartbeat-ms (and at most 600000)")
        }
        guard latencyMillis >= 0 && latencyMillis <= 10_000 else { throw ValidationError("--latency-ms must be 0 to 10000") }
        guard (1...60).contains(fps) else { throw ValidationError("--fps must be 1 to 60") }
    }

    func run() throws {
        var setup = try storage.makeClusterConfig(members: members, placement: placement)
        auth.apply(to: &setup.config)
        setup.config.member.tickNanos = UInt64(heartbeatMillis) * 1_000_000
        setup.config.member.heartbeatTicks = 1
        setup.config.member.electionTicks = electionMillis / heartbeatMillis
        setup.config.network.latencyMicros = UInt64(latencyMillis * 1000)
        if sim { setup.config.driver = .simulated(seed: seed ?? 1) }

        let logPath = setup.config.dataDirectory.map { $0 + "/rafttop.log" }
            ?? URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rafttop-\(getpid()).log").path
        let sink = FileLogHandler.Sink(path: logPath)
        LoggingSystem.bootstrap { label in
            guard let sink else { return SwiftLogNoOpLogHandler() }
            return FileLogHandler(label: label, sink: sink)
        }
        let logger = Logger(label: "rafttop")
        logger.info("starting: \(members) members, \(sim ? "simulated" : "real time"), \(storage.description)")

        let cluster = try Cluster(config: setup.config)
        let themes = ThemeCatalog(directories: ThemeCatalog.defaultDirectories())
        let controller = Controller(cluster: cluster, themes: themes, theme: .builtIn, themeName: "default",
                                    seed: seed ?? UInt64(Date().timeIntervalSince1970 * 1000), logger: logger)
        controller.apply(.setTheme(theme))
        let outcome = TUIApp.outcome(controller: controller, framesPerSecond: fps)
        controller.stop()
        let acknowledged = cluster.clientCounts.acknowledged
        cluster.shutdown()
        setup.cleanUp()
        logger.info("stopped after \(acknowledged) acknowledged puts")
        sink?.close()
        if case .failure(let error) = outcome {
            FileHandle.standardError.write(Data("rafttop: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print("rafttop: \(acknowledged) puts acknowledged; log in \(sink?.path ?? "(no log: \(logPath) could not be opened)")")
    }
}
