import Cluster
import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOCore

/// A closed-loop put load over etcd's v3 gRPC API, lean enough that the server, not the client,
/// sets the pace: every client sends its next put when the last is answered, over a few shared
/// HTTP/2 connections to the leader (`UnaryCallConnection`; etcd's own `benchmark put` has the
/// same clients and connections knobs). Each client times its puts into its own histogram; the
/// histograms are merged at the end, so nothing is shared on the hot path.
public struct PutLoad: Sendable {
    public let endpoints: [String]
    public let clients: Int
    public let connections: Int
    public let valueSize: Int

    public struct Outcome: Sendable {
        public var acknowledged: Int
        public var failed: Int
        public var elapsedSeconds: Double
        public var latency: LatencyRecorder
        /// The endpoint the puts went to (the leader when one answered).
        public var target: String
        /// The first error seen, if any, for the report.
        public var firstError: String?
    }

    public init(endpoints: [String], clients: Int, connections: Int, valueSize: Int) {
        precondition(clients > 0 && connections > 0, "a put load needs clients and connections")
        self.endpoints = endpoints
        self.clients = clients
        self.connections = min(connections, clients)
        self.valueSize = valueSize
    }

    /// Runs the load for `warmupSeconds` uncounted, then `seconds` counted.
    public func run(seconds: Double, warmupSeconds: Double = 1) async throws -> Outcome {
        let target = try await leaderEndpoint()
        let (host, port) = try EtcdStatusPoller.parse(target)
        var opened: [UnaryCallConnection] = []
        for _ in 0..<connections {
            opened.append(try await UnaryCallConnection.connect(host: host, port: port))
        }
        let shared = opened
        let value = Data(repeating: UInt8(ascii: "v"), count: valueSize)
        let started = DispatchTime.now().uptimeNanoseconds
        let measureFromNanos = started + UInt64(warmupSeconds * 1e9)
        let endNanos = measureFromNanos + UInt64(seconds * 1e9)
        let runs = (0..<clients).map { client in
            let connection = shared[client % shared.count]
            return connection.eventLoop.flatSubmit {
                ClientLoop(client: client, connection: connection, value: value,
                           measureFromNanos: measureFromNanos, endNanos: endNanos).start()
            }
        }
        var total = ClientTally()
        for run in runs { total.merge(try await run.get()) }
        for connection in shared { await connection.close() }
        return Outcome(acknowledged: total.acknowledged, failed: total.failed, elapsedSeconds: seconds,
                       latency: total.latency, target: target, firstError: total.firstError)
    }

    struct ClientTally: Sendable {
        var acknowledged = 0
        var failed = 0
        var latency = LatencyRecorder()
        var firstError: String?

        mutating func merge(_ other: ClientTally) {
            acknowledged += other.acknowledged
            failed += other.failed
            latency.merge(other.latency)
            if firstError == nil { firstError = other.firstError }
        }
    }

    /// One client: put, wait for the answer, put again, until `endNanos`; keys cycle through 1,000
    /// per client so the store's key count stays bounded. It runs as callbacks on its
    /// connection's event loop, where answers arrive: an answer sends the next put in the same
    /// turn of the loop, with no task to wake in between (as a Go client's goroutine would).
    private final class ClientLoop {
        let client: Int
        let connection: UnaryCallConnection
        let measureFromNanos: UInt64
        let endNanos: UInt64
        var request = Etcdserverpb_PutRequest()
        var sequence = 0
        var tally = ClientTally()
        let done: EventLoopPromise<ClientTally>

        init(client: Int, connection: UnaryCallConnection, value: Data, measureFromNanos: UInt64, endNanos: UInt64) {
            self.client = client
            self.connection = connection
            self.measureFromNanos = measureFromNanos
            self.endNanos = endNanos
            request.value = value
            done = connection.eventLoop.makePromise(of: ClientTally.self)
        }

        /// Starts putting, on the connection's event loop; the future has the client's tally once
        /// `endNanos` has passed.
        func start() -> EventLoopFuture<ClientTally> {
            next()
            return done.futureResult
        }

        private func next() {
            let sentNanos = DispatchTime.now().uptimeNanoseconds
            guard sentNanos < endNanos else { return done.succeed(tally) }
            request.key = Data("bench-\(client)-\(sequence % 1000)".utf8)
            sequence += 1
            let message: [UInt8]
            do {
                message = try request.serializedBytes()
            } catch {
                return done.succeed(tally)
            }
            let bound = NIOLoopBound(self, eventLoop: connection.eventLoop)
            connection.call(path: "/etcdserverpb.KV/Put", message: message).whenComplete { result in
                bound.value.answered(result, sentNanos: sentNanos)
            }
        }

        private func answered(_ result: Result<[UInt8], any Error>, sentNanos: UInt64) {
            let counted = sentNanos >= measureFromNanos
            switch result {
            case .success:
                if counted {
                    tally.acknowledged += 1
                    tally.latency.record(micros: (DispatchTime.now().uptimeNanoseconds - sentNanos) / 1000)
                }
                next()
            case .failure(let error):
                if counted {
                    tally.failed += 1
                    tally.latency.recordError()
                    if tally.firstError == nil { tally.firstError = "\(error)" }
                }
                // A server that refuses at once must not be hammered in a tight loop.
                let bound = NIOLoopBound(self, eventLoop: connection.eventLoop)
                connection.eventLoop.scheduleTask(in: .milliseconds(10)) { bound.value.next() }
            }
        }
    }

    /// The endpoint whose member leads, asked over Maintenance.Status for up to 15 s; the first
    /// endpoint that answers when none reports a leader it can be matched to.
    private func leaderEndpoint() async throws(EtcdStatusPollerError) -> String {
        let clients = try EtcdStatusPoller.clients(for: endpoints)
        let poller = EtcdStatusPoller(endpoints: endpoints, clients: clients)
        let asked = clients
        let found: String? = await withTaskGroup(of: String?.self) { group in
            for client in asked { group.addTask { try? await client.runConnections(); return nil } }
            var answer: String?
            for _ in 0..<150 {
                let statuses = await poller.poll()
                if let leader = statuses.first(where: \.isLeader) ?? statuses.first(where: { s in
                    s.reachable && statuses.contains { $0.reachable && $0.leader != 0 && $0.leader == s.memberID }
                }) {
                    answer = leader.endpoint
                    break
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
            for client in asked { client.beginGracefulShutdown() }
            for await _ in group {}
            return answer
        }
        guard let found else { throw .noLeader(endpoints) }
        return found
    }
}
