import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// What one member of an etcd cluster reported to Maintenance.Status, or why it did not.
public struct EndpointStatus: Sendable, Hashable, Codable {
    public var endpoint: String
    public var reachable: Bool
    /// Why the member could not be asked, or the errors it reported (e.g. no leader).
    public var errors: [String]
    public var memberID: UInt64
    public var clusterID: UInt64
    public var leader: UInt64
    public var raftTerm: UInt64
    /// etcd's raft index: the member's committed index.
    public var raftIndex: UInt64
    public var raftAppliedIndex: UInt64
    public var revision: Int64
    public var dbSizeBytes: Int64
    public var version: String
    /// How long the Status call took.
    public var latencyMicros: UInt64

    public var isLeader: Bool { reachable && memberID != 0 && memberID == leader }

    static func unreachable(_ endpoint: String, error: String, latencyMicros: UInt64) -> EndpointStatus {
        EndpointStatus(endpoint: endpoint, reachable: false, errors: [error], memberID: 0, clusterID: 0, leader: 0,
                       raftTerm: 0, raftIndex: 0, raftAppliedIndex: 0, revision: 0, dbSizeBytes: 0, version: "",
                       latencyMicros: latencyMicros)
    }
}

public enum EtcdStatusPollerError: Error, Sendable, CustomStringConvertible {
    case badEndpoint(String)
    case noLeader([String])

    public var description: String {
        switch self {
        case .badEndpoint(let e): "endpoint \"\(e)\" is not host:port"
        case .noLeader(let endpoints): "no leader among \(endpoints.joined(separator: ",")) within 15 s"
        }
    }
}

/// Polls Maintenance.Status on every endpoint of an etcd cluster (etcd itself, or `rafttop serve`)
/// over connections kept open between polls. An unreachable member is reported, never thrown.
public struct EtcdStatusPoller: Sendable {
    public let endpoints: [String]
    private let clients: [GRPCClient<HTTP2ClientTransport.Posix>]

    /// A poller over clients whose connections the caller runs.
    init(endpoints: [String], clients: [GRPCClient<HTTP2ClientTransport.Posix>]) {
        precondition(endpoints.count == clients.count, "one client per endpoint")
        self.endpoints = endpoints
        self.clients = clients
    }

    /// Connects to `endpoints` (host:port, or http://host:port as etcdctl also takes them),
    /// runs `body` with a poller, and closes the connections after.
    public static func with<R: Sendable>(endpoints: [String], _ body: (EtcdStatusPoller) async throws -> R) async throws -> R {
        let clients = try clients(for: endpoints)
        let poller = EtcdStatusPoller(endpoints: endpoints, clients: clients)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients {
                group.addTask { try await client.runConnections() }
            }
            let result: Result<R, any Error>
            do {
                result = .success(try await body(poller))
            } catch {
                result = .failure(error)
            }
            for client in clients { client.beginGracefulShutdown() }
            try await group.waitForAll()
            return try result.get()
        }
    }

    /// One plaintext gRPC client per endpoint (not yet connected: run `runConnections`).
    /// How soon a lost connection is tried again. grpc-swift's default starts at 1 s and grows
    /// 1.6 times a try up to 2 minutes, so a member back after a few seconds was seen again only
    /// about 10 s later (the attempts at 1, 2.6, 5.2 and 9.3 s); this tries every 100 ms at
    /// first and never waits more than 1 s, a small cost for a handful of local endpoints.
    static let reconnectBackoff = HTTP2ClientTransport.Config.Backoff(initial: .milliseconds(100), max: .seconds(1),
                                                                      multiplier: 1.6, jitter: 0.2)

    static func clients(for endpoints: [String]) throws(EtcdStatusPollerError) -> [GRPCClient<HTTP2ClientTransport.Posix>] {
        var clients: [GRPCClient<HTTP2ClientTransport.Posix>] = []
        for endpoint in endpoints {
            let (host, port) = try parse(endpoint)
            do {
                var config = HTTP2ClientTransport.Posix.Config.defaults
                config.backoff = reconnectBackoff
                clients.append(GRPCClient(transport: try .http2NIOPosix(target: .dns(host: host, port: port), transportSecurity: .plaintext,
                                                                        config: config)))
            } catch {
                throw .badEndpoint(endpoint)
            }
        }
        return clients
    }

    static func parse(_ endpoint: String) throws(EtcdStatusPollerError) -> (String, Int) {
        var rest = Substring(endpoint)
        for scheme in ["http://", "https://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65535).contains(port), colon != rest.startIndex else {
            throw .badEndpoint(endpoint)
        }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), port)
    }

    /// Every endpoint's status, in the order of `endpoints`, each asked at once with `timeout`.
    public func poll(timeout: Duration = .seconds(1)) async -> [EndpointStatus] {
        await withTaskGroup(of: (Int, EndpointStatus).self) { group in
            for (i, client) in clients.enumerated() {
                let endpoint = endpoints[i]
                group.addTask { (i, await Self.status(of: endpoint, via: client, timeout: timeout)) }
            }
            var out = [EndpointStatus?](repeating: nil, count: clients.count)
            for await (i, status) in group { out[i] = status }
            return out.map { $0! }
        }
    }

    private static func status(of endpoint: String, via client: GRPCClient<HTTP2ClientTransport.Posix>,
                               timeout: Duration) async -> EndpointStatus {
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = false
        let started = ContinuousClock.now
        func micros() -> UInt64 {
            let elapsed = ContinuousClock.now - started
            return UInt64(elapsed.components.seconds) * 1_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000_000)
        }
        do {
            let s = try await Etcdserverpb_Maintenance.Client(wrapping: client).status(Etcdserverpb_StatusRequest(), options: options)
            return EndpointStatus(
                endpoint: endpoint, reachable: true, errors: s.errors, memberID: s.header.memberID, clusterID: s.header.clusterID,
                leader: s.leader, raftTerm: s.raftTerm, raftIndex: s.raftIndex, raftAppliedIndex: s.raftAppliedIndex,
                revision: s.header.revision, dbSizeBytes: s.dbSize, version: s.version, latencyMicros: micros())
        } catch let error as RPCError {
            return .unreachable(endpoint, error: RPCErrorText.short(code: error.code, message: error.message), latencyMicros: micros())
        } catch {
            return .unreachable(endpoint, error: "\(error)", latencyMicros: micros())
        }
    }
}
