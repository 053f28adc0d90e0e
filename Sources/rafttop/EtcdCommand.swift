import ArgumentParser
import EtcdAPI
import Foundation
import Logging
import TUI

/// Starts real etcd members on loopback behind rafttop's peer proxies and opens the UI over them,
/// with every member and network control acting on the real processes.
struct EtcdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "etcd",
        abstract: "Start real etcd members on loopback and watch and drive them: kill, restart, pause, isolate, partition, latency, loss, transfer.",
        discussion: "Each member gets its own data directory and a TCP proxy in front of its peer port (see docs/real-etcd.md). "
            + "On quit every etcd process started is stopped and every proxy closed.")

    @Option(help: "How many members, 1 to 9.")
    var members: Int = 3

    @Option(help: "The etcd binary: a path, or a name looked up on PATH.")
    var etcd: String = "etcd"

    @Option(help: "Keep the members' data here (an empty or new directory) instead of a temporary one removed on quit.")
    var dataDir: String?

    @Option(help: "A theme name from Themes/ or a path to a theme file.")
    var theme: String = "default"

    @Option(help: "Frames per second, 1 to 60.")
    var fps: Int = 20

    func validate() throws {
        guard (1...9).contains(members) else { throw ValidationError("--members must be 1 to 9") }
        guard (1...60).contains(fps) else { throw ValidationError("--fps must be 1 to 60") }
    }

    func run() throws {
        let cluster: LaunchedEtcdCluster
        do {
            cluster = try LaunchedEtcdCluster(LaunchedEtcdCluster.Options(binary: etcd, members: members, dataDirectory: dataDir))
        } catch {
            FileHandle.standardError.write(Data("rafttop: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let logPath = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rafttop-etcd-\(getpid()).log").path
        let sink = FileLogHandler.Sink(path: logPath)
        LoggingSystem.bootstrap { label in
            guard let sink else { return SwiftLogNoOpLogHandler() }
            return FileLogHandler(label: label, sink: sink)
        }
        let logger = Logger(label: "rafttop")
        logger.info("launched etcd members in \(cluster.root): \(cluster.clientURLs.joined(separator: ","))")
        let controller = Controller(attached: cluster, themes: ThemeCatalog(directories: ThemeCatalog.defaultDirectories()),
                                    theme: .builtIn, themeName: "default", seed: UInt64(Date().timeIntervalSince1970 * 1000), logger: logger)
        controller.apply(.setTheme(theme))
        let outcome: Result<Void, TerminalError>
        do {
            try TUIApp.run(controller: controller, framesPerSecond: fps)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        controller.stop()
        let acknowledged = cluster.snapshot().putsAcknowledged
        try? runBlocking { await cluster.shutdown() }
        logger.info("stopped the etcd members after \(acknowledged) acknowledged puts")
        sink?.close()
        if case .failure(let error) = outcome {
            FileHandle.standardError.write(Data("rafttop: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let kept = dataDir.map { "; data kept in \($0)" } ?? ""
        print("rafttop: \(acknowledged) puts acknowledged; every etcd member stopped\(kept); log in \(sink?.path ?? logPath)")
    }
}
