import Cluster
import EtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Raft
import Server
import Synchronization

/// A real-time in-memory cluster serving etcd's API on ports the system chooses, and gRPC
/// clients for it. Short ticks keep elections quick.
struct APIHarness: Sendable {
    let cluster: Cluster
    let server: EtcdAPIServer
    let endpoints: [MemberEndpoint]

    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

    /// Runs `body` against a fresh cluster of `members`, with a leader, and tears it down after.
    static func with<R: Sendable>(members: Int = 3, maxRequestBytes: Int? = nil, quotaBackendBytes: Int64? = nil,
                                  discardPuts: Bool = false, limits: FrontLimits = FrontLimits(), gatewayLimits: GatewayLimits = GatewayLimits(),
                                  _ body: (APIHarness) async throws -> R) async throws -> R {
        var config = ClusterConfig(memberCount: members, driver: .realTime)
        config.member.tickNanos = 10_000_000
        // The fewest a member may be configured with: BoringSSL built for debugging hashes slowly.
        config.member.passwordHashRounds = PasswordHash.configurableRounds.lowerBound
        if let maxRequestBytes { config.member.maxRequestBytes = maxRequestBytes }
        if let quotaBackendBytes { config.member.spaceQuota = SpaceQuota(bytes: quotaBackendBytes) }
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        let server = EtcdAPIServer(cluster: cluster, config: EtcdAPIServerConfig(clientPortBase: 0, gatewayPortBase: 0,
                                                                                    discardPuts: discardPuts, limits: limits,
                                                                                    gatewayLimits: gatewayLimits))
        let ready = ReadySignal()
        let serving = Task { try await server.run { ready.set($0) } }
        defer { serving.cancel() }
        let endpoints = try await ready.wait()
        try await waitFor("a leader") { cluster.leader != nil }
        return try await body(APIHarness(cluster: cluster, server: server, endpoints: endpoints))
    }

    func port(of id: NodeID) -> Int {
        Int(endpoints.first { $0.id == id }!.grpc.split(separator: ":").last!)!
    }

    func gatewayPort(of id: NodeID) -> Int {
        Int(endpoints.first { $0.id == id }!.gateway!.split(separator: ":").last!)!
    }

    /// Runs `body` with a gRPC client connected to member `id`.
    func withClient<R: Sendable>(_ id: NodeID = 1, _ body: (Client) async throws -> R) async throws -> R {
        try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port(of: id)), transportSecurity: .plaintext)
        ) { client in
            try await body(client)
        }
    }

    func withKV<R: Sendable>(_ id: NodeID = 1, _ body: (Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        try await withClient(id) { try await body(Etcdserverpb_KV.Client(wrapping: $0)) }
    }
}

/// The endpoints `EtcdAPIServer.run` reports, awaited by the test.
final class ReadySignal: Sendable {
    private let endpoints = Mutex<[MemberEndpoint]?>(nil)

    func set(_ value: [MemberEndpoint]) { endpoints.withLock { $0 = value } }

    func wait() async throws -> [MemberEndpoint] {
        var result: [MemberEndpoint]?
        try await waitFor("the API to listen") {
            result = endpoints.withLock { $0 }
            return result != nil
        }
        return result!
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds. The generous default is for the whole `swift test` run on a
/// small machine: Swift Testing runs every suite on the cooperative pool, one thread a core, and
/// other suites' CPU-bound tests hold those threads for minutes (a slower 2-core machine saw this
/// test's first poll come 135 s after it started, and in another run 440 s); alone, these tests take
/// a fraction of a second. A real hang still fails, after half an hour.
func waitFor(_ what: String, seconds: Double = 120, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try !condition() {
        if ContinuousClock.now > deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// How long a test's call over a `UnaryCallConnection` may wait for its answer: the calls the
/// front server answers with a task, and every call relayed to grpc-swift, wait for a thread of
/// the cooperative pool, which the test run shares (10 s was too short for a fully parallel run
/// on 2 cores); no test waits longer than 2 minutes for anything.
let callTimeout: Duration = .seconds(120)

extension UnaryCallConnection {
    /// `call` with the tests' `callTimeout`.
    func patientCall(path: String, message: [UInt8]) async throws(UnaryCallError) -> [UInt8] {
        try await call(path: path, message: message, timeout: callTimeout)
    }
}

func bytes(_ s: String) -> Data { Data(s.utf8) }

extension Etcdserverpb_PutRequest {
    init(_ key: String, _ value: String, prevKV: Bool = false) {
        self.init()
        self.key = bytes(key)
        self.value = bytes(value)
        prevKv = prevKV
    }
}

extension Etcdserverpb_RangeRequest {
    init(_ key: String, rangeEnd: String = "") {
        self.init()
        self.key = bytes(key)
        self.rangeEnd = bytes(rangeEnd)
    }

    /// etcdctl's --prefix.
    static func prefix(_ key: String) -> Etcdserverpb_RangeRequest {
        var end = Array(key.utf8)
        end[end.count - 1] += 1
        var r = Etcdserverpb_RangeRequest(key)
        r.rangeEnd = Data(end)
        return r
    }
}

extension Mvccpb_KeyValue {
    var keyString: String { String(decoding: key, as: UTF8.self) }
    var valueString: String { String(decoding: value, as: UTF8.self) }
}

/// The gRPC status code and message an RPC failed with.
func rpcFailure(_ body: () async throws -> Void) async -> (RPCError.Code, String)? {
    do {
        try await body()
        return nil
    } catch let error as RPCError {
        return (error.code, error.message)
    } catch {
        return (.unknown, "\(error)")
    }
}
