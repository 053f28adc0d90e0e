import Cluster
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Locking
import NIOCore
import Raft

/// Where and how the cluster serves etcd's API.
public struct EtcdAPIServerConfig: Sendable {
    /// The address every listener binds: loopback unless asked otherwise.
    public var listenAddress = "127.0.0.1"
    /// Member i serves gRPC on `clientPortBase + i - 1`; 0 lets the system choose every port.
    public var clientPortBase = 2379
    /// Member i serves the JSON gateway on `gatewayPortBase + i - 1`; 0 lets the system choose;
    /// nil serves no gateway.
    public var gatewayPortBase: Int? = 12379
    /// Answer every unary put at once, storing nothing: a baseline that shows a client's own
    /// pace (what `etcdctl check perf` reaches against a server that costs nothing).
    public var discardPuts = false
    /// What one client may make a gRPC port hold or do.
    public var limits = FrontLimits()
    /// What one client may make a JSON gateway port hold or do.
    public var gatewayLimits = GatewayLimits()

    public init(listenAddress: String = "127.0.0.1", clientPortBase: Int = 2379, gatewayPortBase: Int? = 12379,
                discardPuts: Bool = false, limits: FrontLimits = FrontLimits(), gatewayLimits: GatewayLimits = GatewayLimits()) {
        self.listenAddress = listenAddress
        self.clientPortBase = clientPortBase
        self.gatewayPortBase = gatewayPortBase
        self.discardPuts = discardPuts
        self.limits = limits
        self.gatewayLimits = gatewayLimits
    }

    func port(base: Int, member id: NodeID) -> Int {
        base == 0 ? 0 : base + Int(id) - 1
    }
}

/// Where one member serves, once bound.
public struct MemberEndpoint: Sendable, Hashable {
    public var id: NodeID
    /// host:port of the gRPC API, as etcdctl's --endpoints takes it.
    public var grpc: String
    /// http://host:port of the JSON gateway, when there is one.
    public var gateway: String?
}

public enum EtcdAPIServerError: Error, Sendable, CustomStringConvertible {
    case listenFailed(address: String, reason: String)

    public var description: String {
        switch self {
        case .listenFailed(let address, let reason): "cannot listen on \(address): \(reason)"
        }
    }
}

/// Serves etcd's v3 API for every member of a cluster: KV, Watch, Maintenance, Cluster and Auth
/// over gRPC on one port per member (unary KV calls answered by a lean front server, everything
/// else by gRPC's full server behind it), and the JSON gateway on a second port per member; both
/// ports also answer HTTP/1.1's GET /metrics, /health and /version, as etcd's client port does.
public struct EtcdAPIServer: Sendable {
    public let cluster: Cluster
    public let config: EtcdAPIServerConfig
    let directory = EndpointDirectory()
    private let fronts = Locked<[NodeID: FrontServer]>([:])

    public init(cluster: Cluster, config: EtcdAPIServerConfig = EtcdAPIServerConfig()) {
        self.cluster = cluster
        self.config = config
    }

    /// The API one member serves, for callers in the same process.
    public func api(for id: NodeID) -> MemberAPI {
        MemberAPI(cluster: cluster, memberID: id, directory: directory)
    }

    /// What each connection to member `id`'s gRPC port holds and how it ended.
    public func connectionReports(for id: NodeID) -> [FrontConnectionReport] {
        fronts.withLock { $0[id] }?.stats.reports ?? []
    }

    /// Connections to member `id`'s gRPC port closed as they arrived, over the connection limit.
    public func refusedConnections(for id: NodeID) -> Int {
        fronts.withLock { $0[id] }?.stats.refusedConnections ?? 0
    }

    /// Serves until the task is cancelled, calling `ready` once every listener is bound. A
    /// member added to the cluster later is served on the next ports, and `added` told where;
    /// a member removed stops being served.
    public func run(ready: @escaping @Sendable ([MemberEndpoint]) -> Void = { _ in },
                    added: @escaping @Sendable (MemberEndpoint) -> Void = { _ in }) async throws {
        do {
            try await serve(ready: ready, added: added)
        } catch where Task.isCancelled {
            // Cancelled listeners throw as they stop; being stopped is what was asked for.
        }
    }

    /// How often the server looks for members added or removed.
    static let membershipPollMillis = 100
    /// How long a removed member's listeners stay open, answering "server stopped", so the
    /// answer to its own removal reaches the client (etcd's removed member stops after it too).
    static let removedMemberGraceMillis = 1000

    private func serve(ready: @escaping @Sendable ([MemberEndpoint]) -> Void,
                       added: @escaping @Sendable (MemberEndpoint) -> Void) async throws {
        var transportConfig = HTTP2ServerTransport.Posix.Config.defaults
        // etcd's limit: the largest request plus gRPC's overhead.
        transportConfig.rpc.maxRequestPayloadSize = cluster.config.member.maxRequestBytes + 512 * 1024
        // A connection may always hold two of the largest requests unfinished.
        var frontLimits = config.limits
        frontLimits.requestBytesHeldMax = max(frontLimits.requestBytesHeldMax, 2 * Int(transportConfig.rpc.maxRequestPayloadSize))
        // Each member's full gRPC server listens on a Unix socket in a folder only this user may
        // enter, so nothing but this process (and root) reaches it; its public port is a front
        // server that answers unary KV calls itself and relays the rest.
        let sockets = try PrivateSocketFolder()
        defer { sockets.remove() }
        let listeners = MemberListeners(transportConfig: transportConfig, frontLimits: frontLimits, sockets: sockets)
        do {
            var endpoints: [MemberEndpoint] = []
            for id in cluster.ids {
                endpoints.append(try await bind(id, listeners))
            }
            ready(endpoints)
            try await followMembership(listeners, added: added)
        } catch {
            await listeners.stopAll()
            throw error
        }
    }

    /// Serves members as they are added and stops serving them as they are removed, until the
    /// task is cancelled or a listener fails.
    private func followMembership(_ listeners: MemberListeners, added: @escaping @Sendable (MemberEndpoint) -> Void) async throws {
        var removedAt: [NodeID: ContinuousClock.Instant] = [:]
        while true {
            try await Task.sleep(for: .milliseconds(Self.membershipPollMillis))
            if let failure = listeners.failure { throw failure }
            let ids = cluster.ids
            let now = ContinuousClock.now
            for id in listeners.served where !ids.contains(id) {
                // The removal's own answer may still be on its way out through this member.
                let since = removedAt[id, default: now]
                removedAt[id] = since
                guard now - since >= .milliseconds(Self.removedMemberGraceMillis) else { continue }
                listeners.stop(id)
                fronts.withLock { $0[id] = nil }
                removedAt[id] = nil
            }
            for id in ids where !listeners.served.contains(id) && cluster.member(id) != nil {
                do {
                    added(try await bind(id, listeners))
                } catch {
                    // Its ports are taken: the member runs unserved, and the event log says why.
                    cluster.note("member \(id) is not served: \(error)")
                    listeners.markUnserved(id)
                }
            }
        }
    }

    /// Binds member `id`'s listeners and serves them in a task of its own (so a removed member's
    /// close alone); returns where they listen, or throws why they could not bind.
    private func bind(_ id: NodeID, _ listeners: MemberListeners) async throws -> MemberEndpoint {
        let host = config.listenAddress
        let api = api(for: id)
        let socketPath = listeners.sockets.path(for: "member-\(id).sock")
        // The port's gRPC counters, kept while the port is open (the member's own metrics start
        // again when it restarts, as etcd's do).
        let grpcMetrics = GRPCServerMetrics()
        let endpoints = OperatorEndpoints(api: api, grpcMetrics: grpcMetrics)
        let server = GRPCServer(
            transport: .http2NIOPosix(address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext,
                                      config: listeners.transportConfig),
            services: [KVService(api: api), WatchService(api: api), MaintenanceService(api: api), ClusterService(api: api),
                       AuthService(api: api), LeaseService(api: api), LockService(api: api), ElectionService(api: api)],
            interceptors: [grpcMetrics.interceptor])
        let port = config.port(base: config.clientPortBase, member: id)
        let wanted = Self.hostPort(host, port)
        return try await listeners.run(id) { group in
            group.addTask { try await server.serve() }
            guard try await server.listeningAddress?.unixDomainSocket != nil else {
                throw EtcdAPIServerError.listenFailed(address: socketPath, reason: "no address bound")
            }
            let front: FrontServer
            do {
                front = try await FrontServer.bind(
                    host: host, port: port, routes: UnaryKVRoutes(api: api, discardPuts: config.discardPuts),
                    requestBytesMax: Int(listeners.transportConfig.rpc.maxRequestPayloadSize), limits: listeners.frontLimits,
                    backend: try .init(unixDomainSocketPath: socketPath), http1: (endpoints, config.gatewayLimits))
            } catch {
                throw EtcdAPIServerError.listenFailed(address: wanted, reason: "\(error)")
            }
            group.addTask { try await front.serve() }
            self.fronts.withLock { $0[id] = front }
            var gatewayURL: String?
            if let base = config.gatewayPortBase {
                let gatewayPort = config.port(base: base, member: id)
                let gateway: GatewayListener
                do {
                    gateway = try await GatewayListener.bind(host: host, port: gatewayPort, routes: GatewayRoutes(api: api, operatorEndpoints: endpoints),
                                                             limits: config.gatewayLimits)
                } catch {
                    throw EtcdAPIServerError.listenFailed(address: Self.hostPort(host, gatewayPort), reason: "\(error)")
                }
                group.addTask { try await gateway.serve() }
                gatewayURL = gateway.port.map { "http://\(Self.hostPort(host, $0))" }
            }
            guard let boundPort = front.port else {
                throw EtcdAPIServerError.listenFailed(address: wanted, reason: "no address bound")
            }
            let grpc = Self.hostPort(host, boundPort)
            directory.set("http://\(grpc)", for: id)
            return MemberEndpoint(id: id, grpc: grpc, gateway: gatewayURL)
        }
    }

    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A folder for the members' internal sockets, readable and enterable by this user only.
struct PrivateSocketFolder {
    let path: String

    init() throws {
        // A socket's path must fit in sockaddr_un (108 bytes): a short folder under /tmp, made
        // with mode 0700.
        var template = Array("/tmp/rafttop-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw EtcdAPIServerError.listenFailed(address: "/tmp/rafttop-XXXXXX", reason: "cannot make a folder for the members' sockets")
        }
        path = String(cString: made)
    }

    func path(for name: String) -> String { path + "/" + name }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
