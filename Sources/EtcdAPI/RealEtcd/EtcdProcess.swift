import Foundation
import Locking
import Raft

/// One launched etcd member: its flags, fixed at launch, and the process running them, which can
/// be killed and started again on the same data directory, paused and resumed.
public final class EtcdProcess: Sendable {
    public let id: NodeID
    public let name: String
    public let dataDirectory: String
    /// Where clients reach it, http://127.0.0.1:port.
    public let clientURL: String
    public let clientPort: Int
    /// The port etcd itself listens on for peers; other members reach it only through its proxy.
    public let peerPort: Int
    /// The proxy's port, which the member advertises as its peer URL.
    public let advertisedPeerPort: Int
    /// etcd's own log (zap, JSON lines): the member's output never reaches the terminal.
    public var logPath: String { dataDirectory + "/etcd.log" }
    let binary: String
    let arguments: [String]
    private let running = Locked<Running>(Running())

    private struct Running {
        var process: Process?
        var paused = false
    }

    init(id: NodeID, binary: String, dataDirectory: String, clientPort: Int, peerPort: Int, advertisedPeerPort: Int,
         initialCluster: String, clusterToken: String, heartbeatMillis: Int, electionMillis: Int) {
        self.id = id
        name = "m\(id)"
        self.binary = binary
        self.dataDirectory = dataDirectory
        clientURL = "http://127.0.0.1:\(clientPort)"
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.advertisedPeerPort = advertisedPeerPort
        arguments = [
            "--name", name, "--data-dir", dataDirectory + "/data",
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(advertisedPeerPort)",
            "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", clusterToken,
            "--heartbeat-interval", "\(heartbeatMillis)", "--election-timeout", "\(electionMillis)",
            "--logger", "zap", "--log-outputs", dataDirectory + "/etcd.log",
        ]
    }

    /// etcd's own data directory (member/wal, member/snap) inside the member's directory.
    public var etcdDataDirectory: String { dataDirectory + "/data" }

    public var isRunning: Bool { running.withLock { $0.process?.isRunning ?? false } }
    public var isPaused: Bool { running.withLock { $0.paused } }
    public var pid: Int32? { running.withLock { s in s.process.flatMap { $0.isRunning ? $0.processIdentifier : nil } } }

    /// Starts the process with the launch flags; a member with data rejoins from it.
    func start() throws(RealEtcdError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .launch(name, "\(error)")
        }
        running.withLock { s in
            s.process = process
            s.paused = false
        }
    }

    /// SIGKILL, then waits for the process to be gone.
    func kill() {
        guard let process = running.withLock({ $0.process }), process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        running.withLock { $0.paused = false }
    }

    func pause() {
        guard let process = running.withLock({ $0.process }), process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGSTOP)
        running.withLock { $0.paused = true }
    }

    func resume() {
        guard let process = running.withLock({ $0.process }), process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGCONT)
        running.withLock { $0.paused = false }
    }

    /// SIGTERM (with SIGCONT, so a paused member can act on it), then SIGKILL after `graceSeconds`.
    func stop(graceSeconds: Double = 2) {
        guard let process = running.withLock({ $0.process }), process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGTERM)
        Foundation.kill(process.processIdentifier, SIGCONT)
        let deadline = Date().addingTimeInterval(graceSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        kill()
    }
}
