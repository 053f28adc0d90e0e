import ArgumentParser
import EtcdAPI
import Foundation
import Logging
import Raft
import TUI

extension Attach {
    /// The terminal UI over the external cluster, until q or Ctrl-C.
    func runTUI() throws {
        let logPath = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rafttop-attach-\(getpid()).log").path
        let sink = FileLogHandler.Sink(path: logPath)
        LoggingSystem.bootstrap { label in
            guard let sink else { return SwiftLogNoOpLogHandler() }
            return FileLogHandler(label: label, sink: sink)
        }
        let logger = Logger(label: "rafttop")
        logger.info("attaching to \(endpointList.joined(separator: ","))")

        let attachment = try EtcdAttachment(endpoints: endpointList, pollInterval: .milliseconds(intervalMillis),
                                            requestTimeout: .milliseconds(timeoutMillis))
        for (i, directory) in dataDirectoryList.enumerated() {
            if let directory { attachment.readWAL(of: NodeID(i + 1), dataDirectory: directory) }
        }
        attachment.start()
        let controller = Controller(attached: attachment, themes: ThemeCatalog(directories: ThemeCatalog.defaultDirectories()),
                                    theme: .builtIn, themeName: "default", seed: UInt64(Date().timeIntervalSince1970 * 1000), logger: logger)
        controller.apply(.setTheme(theme))
        let outcome = TUIApp.outcome(controller: controller, framesPerSecond: fps)
        controller.stop()
        let acknowledged = attachment.snapshot().putsAcknowledged
        try? runBlocking { await attachment.shutdown() }
        logger.info("detached after \(acknowledged) acknowledged puts")
        sink?.close()
        if case .failure(let error) = outcome {
            FileHandle.standardError.write(Data("rafttop: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print("rafttop: \(acknowledged) puts acknowledged; log in \(sink?.path ?? "(no log: \(logPath) could not be opened)")")
    }
}
