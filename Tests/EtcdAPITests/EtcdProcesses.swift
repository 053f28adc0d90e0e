import Foundation

/// A real etcd cluster on loopback: one `etcd` process per member, each with its own data
/// directory, killed by PID and its directory removed by `stop`.
final class EtcdProcesses: @unchecked Sendable {
    // Only the test's own thread touches `processes`.
    private var processes: [Process] = []
    let endpoints: [String]
    let root: String

    static let etcd = ExternalTools.find("etcd")

    /// Starts `members` etcd processes and waits until every one answers `/health`.
    init(members: Int, clientPortBase: Int, peerPortBase: Int) throws {
        let binary = try Self.etcd ?? { throw TimedOut(what: "an etcd binary") }()
        root = NSTemporaryDirectory() + "rafttop-etcd-\(getpid())-\(clientPortBase)"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let names = (1...members).map { "etcd\($0)" }
        let peers = names.enumerated().map { "\($1)=http://127.0.0.1:\(peerPortBase + $0)" }.joined(separator: ",")
        endpoints = (0..<members).map { "127.0.0.1:\(clientPortBase + $0)" }
        for (i, name) in names.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "--name", name, "--data-dir", "\(root)/\(name)",
                "--listen-client-urls", "http://\(endpoints[i])", "--advertise-client-urls", "http://\(endpoints[i])",
                "--listen-peer-urls", "http://127.0.0.1:\(peerPortBase + i)",
                "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPortBase + i)",
                "--initial-cluster", peers, "--initial-cluster-state", "new", "--initial-cluster-token", "rafttop-attach-test",
                "--heartbeat-interval", "50", "--election-timeout", "500", "--log-level", "error",
            ]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            do {
                try process.run()
            } catch {
                stop()
                throw error
            }
            processes.append(process)
        }
    }

    /// Kills member `n` (from 1) at once, as a crash would.
    func kill(member n: Int) {
        let process = processes[n - 1]
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Kills every member by its PID and removes the data directories.
    func stop() {
        for process in processes where process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes = []
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { stop() }
}
