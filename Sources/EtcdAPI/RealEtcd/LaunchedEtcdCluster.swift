import Cluster
import Foundation
import GRPCCore
import Locking
import Raft

/// Real etcd members that rafttop started itself on loopback, each with its own data directory
/// and a peer proxy in front of its peer port, watched through an `EtcdAttachment` over their
/// client URLs. Unlike an attached cluster it can be driven: kill, restart, pause, leadership
/// transfer, and cuts, delay and loss on the peer links. `shutdown` stops every process it
/// started and closes every proxy.
public final class LaunchedEtcdCluster: AttachedCluster, ExternalControls {
    /// The launch settings.
    public struct Options: Sendable {
        /// A path, or a name looked up on PATH.
        public var binary: String = "etcd"
        public var members: Int = 3
        /// Kept after shutdown when given (it must be empty or new); a temporary directory removed on shutdown otherwise.
        public var dataDirectory: String?
        public var heartbeatMillis: Int = 100
        public var electionMillis: Int = 1000
        /// How often every member's status is asked.
        public var pollMillis: Int = 200
        /// How long a status call or a put may take before the member counts as not answering.
        public var requestTimeoutMillis: Int = 2000

        public init(binary: String = "etcd", members: Int = 3, dataDirectory: String? = nil) {
            self.binary = binary
            self.members = members
            self.dataDirectory = dataDirectory
        }
    }

    public let processes: [EtcdProcess]
    public let attachment: EtcdAttachment
    /// The directory holding one directory per member; removed on shutdown unless given.
    public let root: String
    private let removeRoot: Bool
    let proxies: [PeerProxy]
    let faults: Locked<PeerFaults>
    private let stopped = Locked(false)

    /// Each member's etcd data directory (its member/wal and member/snap), in member order.
    public var dataDirectories: [String] { processes.map(\.etcdDataDirectory) }
    /// Each member's client URL, in member order.
    public var clientURLs: [String] { processes.map(\.clientURL) }
    public var endpoints: [String] { attachment.endpoints }
    public var peerFaults: PeerFaults { faults.withLock { $0 } }

    /// Starts the members and their proxies and begins polling them; throws, having stopped
    /// whatever it started, when the binary, a port or a directory is missing.
    public init(_ options: Options) throws(RealEtcdError) {
        guard (1...9).contains(options.members) else { throw .badMembers(options.members) }
        let binary = try Self.resolve(binary: options.binary)
        if let given = options.dataDirectory {
            root = given
            removeRoot = false
            do {
                try FileManager.default.createDirectory(atPath: given, withIntermediateDirectories: true)
            } catch {
                throw .dataDirectory(given, "\(error)")
            }
            // etcd keeps its members' peer URLs in its data, and the ports change each launch.
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: given)) ?? []
            guard entries.isEmpty else { throw .dataDirectory(given, "is not empty (each launch needs new data: its ports change)") }
        } else {
            var template = Array((NSTemporaryDirectory() + "rafttop-etcd-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else { throw .dataDirectory(NSTemporaryDirectory(), "mkdtemp failed") }
            root = String(cString: made)
            removeRoot = true
        }
        let faults = Locked(PeerFaults())
        self.faults = faults
        let ids = (1...options.members).map { NodeID($0) }
        var proxies: [PeerProxy] = []
        var clientPorts: [Int] = []
        var peerPorts: [Int] = []
        let senders = Locked<[Int: NodeID]>([:])
        let memberIDs = Locked<[UInt64: NodeID]>([:])
        do {
            for id in ids {
                clientPorts.append(try Sockets.freePort())
                peerPorts.append(try Sockets.freePort())
                proxies.append(try PeerProxy(destination: id, targetPort: peerPorts.last!, faults: faults) { head in
                    Self.sender(in: head, byPort: senders.withLock { $0 }, byMemberID: memberIDs.withLock { $0 })
                })
            }
        } catch {
            for proxy in proxies { proxy.close() }
            if removeRoot { try? FileManager.default.removeItem(atPath: root) }
            throw error
        }
        senders.withLock { s in for proxy in proxies { s[proxy.port] = proxy.destination } }
        self.proxies = proxies
        let token = "rafttop-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let initialCluster = zip(ids, proxies).map { "m\($0)=http://127.0.0.1:\($1.port)" }.joined(separator: ",")
        let rootPath = root
        let proxyPorts = proxies.map(\.port)
        processes = ids.map { id in
            let i = Int(id) - 1
            return EtcdProcess(id: id, binary: binary, dataDirectory: "\(rootPath)/m\(id)", clientPort: clientPorts[i], peerPort: peerPorts[i],
                               advertisedPeerPort: proxyPorts[i], initialCluster: initialCluster, clusterToken: token,
                               heartbeatMillis: options.heartbeatMillis, electionMillis: options.electionMillis)
        }
        do {
            attachment = try EtcdAttachment(endpoints: processes.map(\.clientURL), pollInterval: .milliseconds(options.pollMillis),
                                            requestTimeout: .milliseconds(options.requestTimeoutMillis))
        } catch {
            for proxy in proxies { proxy.close() }
            if removeRoot { try? FileManager.default.removeItem(atPath: rootPath) }
            throw .launch("the client connections", "\(error)")
        }
        do {
            for process in processes {
                try FileManager.default.createDirectory(atPath: process.dataDirectory, withIntermediateDirectories: true)
            }
        } catch {
            stopMembers()
            throw .dataDirectory(root, "\(error)")
        }
        for proxy in proxies { proxy.start() }
        do {
            for process in processes { try process.start() }
        } catch {
            stopMembers()
            throw error
        }
        do {
            try Self.waitUntilListening(processes)
        } catch {
            stopMembers()
            throw error
        }
        // rafttop launched them, so it can read every member's own WAL.
        for (i, directory) in dataDirectories.enumerated() {
            attachment.readWAL(of: NodeID(i + 1), dataDirectory: directory)
        }
        attachment.start()
        let attachment = attachment
        // Senders named only by member ID (X-Server-From) are matched once a poll has seen the IDs.
        Task.detached {
            while !Task.isCancelled {
                let known = attachment.members.filter { $0.memberID != 0 }
                memberIDs.withLock { m in for member in known { m[member.memberID] = member.id } }
                if known.count == ids.count { return }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        attachment.note("launched \(ids.count) etcd members (\(binary)) in \(root)")
    }

    /// Waits until every member's client port accepts, so the first poll finds them; a member
    /// that exits first (a port taken, a binary that is not etcd) is an error with its log's last line.
    static func waitUntilListening(_ processes: [EtcdProcess], seconds: Double = 60) throws(RealEtcdError) {
        let deadline = Date().addingTimeInterval(seconds)
        var waiting = processes
        while !waiting.isEmpty {
            for process in waiting where !process.isRunning {
                let log = (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? ""
                let last = log.split(separator: "\n").last.map(String.init) ?? "(no log at \(process.logPath))"
                throw .launch(process.name, "it exited at once; the last line of its log: \(last)")
            }
            waiting.removeAll { Sockets.accepts(port: $0.clientPort) }
            guard Date() < deadline else { throw .launch(waiting[0].name, "its client port did not open within \(Int(seconds)) s") }
            if !waiting.isEmpty { usleep(20_000) }
        }
    }

    /// `binary` itself when it names a path, else the first executable of that name on PATH.
    static func resolve(binary: String) throws(RealEtcdError) -> String {
        if binary.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: binary) else { throw .binaryNotFound(binary) }
            return binary
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/\(binary)") {
            return "\(directory)/\(binary)"
        }
        throw .binaryNotFound(binary)
    }

    /// The member that sent a peer request, from its head: X-PeerURLs names the sender's
    /// advertised peer URLs (its proxy's port), X-Server-From its member ID in hex.
    static func sender(in head: String, byPort: [Int: NodeID], byMemberID: [UInt64: NodeID]) -> NodeID? {
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "x-peerurls" {
                for url in value.split(separator: ",") {
                    if let port = url.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) }), let id = byPort[port] { return id }
                }
            } else if name == "x-server-from", let memberID = UInt64(value, radix: 16), let id = byMemberID[memberID] {
                return id
            }
        }
        return nil
    }

    /// Waits, polling, until some member leads; nil after `seconds`.
    public func waitForLeader(seconds: Double, otherThan previous: NodeID? = nil) -> NodeID? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let leader, leader != previous { return leader }
            usleep(20_000)
        }
        return nil
    }

    /// Stops the polling and the connections, then every member (SIGTERM, SIGKILL after a
    /// moment) and every proxy, and removes a temporary data directory.
    public func shutdown() async {
        await attachment.shutdown()
        stopMembers()
    }

    /// Stops every process and proxy; safe to call more than once.
    public func stopMembers() {
        let first = stopped.withLock { s in
            defer { s = true }
            return !s
        }
        guard first else { return }
        for process in processes { process.stop() }
        for proxy in proxies { proxy.close() }
        if removeRoot { try? FileManager.default.removeItem(atPath: root) }
    }

    /// The attachment's snapshot with what rafttop did to each member: killed members down,
    /// paused ones paused, ones cut off from a majority partitioned, each saying so beside its status.
    static func marked(_ snapshot: ClusterSnapshot, processes: [EtcdProcess], faults: PeerFaults, root: String) -> ClusterSnapshot {
        var out = snapshot
        out.dataDirectory = root
        for (i, process) in processes.enumerated() where i < out.members.count {
            let ids = processes.map(\.id).filter { $0 != process.id }
            let cutFrom = ids.filter { faults.isCut(from: $0, to: process.id) }
            var note: String?
            if !process.isRunning {
                out.members[i].state = .down
                note = "killed"
            } else if process.isPaused {
                out.members[i].state = .paused
                note = "paused (SIGSTOP)"
            } else if !cutFrom.isEmpty {
                // Partitioned as the built-in cluster means it: cut off from a majority.
                if (ids.count - cutFrom.count + 1) * 2 <= processes.count { out.members[i].state = .partitioned }
                note = cutFrom.count == ids.count ? "isolated" : "cut from " + cutFrom.map { "m\($0)" }.joined(separator: ",")
            }
            if let note, var view = out.attached, i < view.members.count {
                view.members[i].errors.insert(note, at: 0)
                out.attached = view
            }
        }
        return out
    }

    /// Changes what the proxies do, and closes the connections a new cut forbids.
    func changeFaults(_ change: (inout PeerFaults) -> Void) {
        faults.withLock { change(&$0) }
        for proxy in proxies { proxy.enforceCuts() }
    }

    /// Every port a member or proxy listened on: after shutdown none accepts connections.
    public var ports: [Int] {
        processes.flatMap { [$0.clientPort, $0.peerPort, $0.advertisedPeerPort] }
    }

    deinit { stopMembers() }

    // MARK: AttachedCluster, by the attachment

    public var controls: (any ExternalControls)? { self }
    public func nowNanos() -> UInt64 { attachment.nowNanos() }
    public func snapshot() -> ClusterSnapshot { Self.marked(attachment.snapshot(), processes: processes, faults: peerFaults, root: root) }
    public func put(key: String, value: [UInt8], completion: @escaping @Sendable (Result<AttachedWrite, AttachedRequestError>) -> Void) {
        attachment.put(key: key, value: value, completion: completion)
    }
    public func get(key: String, completion: @escaping @Sendable (Result<AttachedRead, AttachedRequestError>) -> Void) {
        attachment.get(key: key, completion: completion)
    }
    public func delete(key: String, completion: @escaping @Sendable (Result<Int64, AttachedRequestError>) -> Void) {
        attachment.delete(key: key, completion: completion)
    }
    public func startLoad(rate: Double) -> Int { attachment.startLoad(rate: rate) }
    public func stopLoad() { attachment.stopLoad() }
    public func closeLatencyInterval() { attachment.closeLatencyInterval() }
    public func resetLatency() { attachment.resetLatency() }
}
