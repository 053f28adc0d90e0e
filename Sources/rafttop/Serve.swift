import ArgumentParser
import Cluster
import Dispatch
import EtcdAPI
import Foundation

/// Runs the cluster with no UI, serving etcd's v3 API so etcdctl and other etcd clients can drive it.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the cluster without a UI, serving etcd's v3 gRPC API and JSON gateway, until Ctrl-C or SIGTERM.",
        discussion: """
            Member i serves etcd's gRPC API on <listen-address>:(client-port-base + i - 1) and the
            JSON gateway on <listen-address>:(gateway-port-base + i - 1). A member added with
            `etcdctl member add` starts in this process, on the next ports; a member removed stops.
            With --data-dir, a restart on the same directory recovers every member.
            """)

    @Option(help: "Members in the cluster (1 to 7).")
    var members: Int = 3

    @Option(help: "Member 1's gRPC port; member i serves on this port + i - 1 (0: ports the system chooses).")
    var clientPortBase: Int = 2379

    @Option(help: "Member 1's JSON gateway port; member i serves on this port + i - 1 (0: ports the system chooses).")
    var gatewayPortBase: Int = 12379

    @Flag(help: "Serve no JSON gateway.")
    var noGateway = false

    @Option(help: "The address to listen on; another than loopback exposes the cluster to the network.")
    var listenAddress: String = "127.0.0.1"

    @Option(help: "Every this many seconds, print where the leader's recent puts spent their time: the median of each stage over its last 256 traces, in µs (0: never).")
    var stagesEvery: Double = 0

    @Flag(help: "Answer every put at once without proposing or storing it (revision 0): a baseline that measures a client's own pace, never a cluster.")
    var discardPuts = false

    @OptionGroup var storage: StorageOptions
    @OptionGroup var placement: PlacementOptions
    @OptionGroup(title: "Limits on clients") var front: FrontOptions
    @OptionGroup(title: "Passwords") var auth: AuthOptions

    func validate() throws {
        guard ClusterConfig.memberRange.contains(members) else {
            throw ValidationError("--members must be from \(ClusterConfig.memberRange.lowerBound) to \(ClusterConfig.memberRange.upperBound)")
        }
        for (name, base) in [("--client-port-base", clientPortBase), ("--gateway-port-base", gatewayPortBase)] {
            guard base == 0 || (1...(65536 - members)).contains(base) else {
                throw ValidationError("\(name) must be 0 or leave room for \(members) ports below 65536")
            }
        }
        guard stagesEvery == 0 || (0.1...86_400).contains(stagesEvery) else {
            throw ValidationError("--stages-every must be 0 (never) or from 0.1 to 86400 seconds")
        }
    }

    func run() throws {
        GRPCTaskExecutor.useEventLoops()
        var setup = try storage.makeClusterConfig(members: members, placement: placement)
        front.apply(to: &setup.config)
        auth.apply(to: &setup.config)
        let cluster = try Cluster(config: setup.config)
        defer {
            cluster.shutdown()
            setup.cleanUp()
        }
        let server = EtcdAPIServer(cluster: cluster, config: EtcdAPIServerConfig(
            listenAddress: listenAddress, clientPortBase: clientPortBase, gatewayPortBase: noGateway ? nil : gatewayPortBase,
            discardPuts: discardPuts, limits: try front.limits(), gatewayLimits: front.gatewayLimits))
        let description = "\(members) member\(members == 1 ? "" : "s"), \(storage)"
            + (discardPuts ? ", PUTS DISCARDED: answered at once, nothing stored" : "")
        let serving = Task {
            // Printed as soon as the ports listen: a request that comes before the members know
            // a leader waits for one, as etcd's do.
            try await server.run(ready: { endpoints in Self.printReady(endpoints, description: description) }, added: { endpoint in
                print("rafttop serve: member \(endpoint.id) added: etcd gRPC \(endpoint.grpc)"
                    + (endpoint.gateway.map { "  JSON gateway \($0)" } ?? ""))
                fflush(nil)
            })
        }
        let signals = Self.cancelOnSignals([SIGINT, SIGTERM], task: serving)
        defer { signals.forEach { $0.cancel() } }
        let stages = stagesEvery > 0 ? Self.printStages(every: stagesEvery, cluster: cluster) : nil
        defer { stages?.cancel() }

        do {
            try runBlocking { try await serving.value }
        } catch is CancellationError {
            // Ctrl-C or SIGTERM: a clean stop.
        }
        print("rafttop serve: stopped")
    }

    private static func printReady(_ endpoints: [MemberEndpoint], description: String) {
        var lines = ["rafttop serve: \(description)"]
        for e in endpoints {
            lines.append("member \(e.id): etcd gRPC \(e.grpc)" + (e.gateway.map { "  JSON gateway \($0)" } ?? ""))
        }
        lines.append("try: ETCDCTL_API=3 etcdctl --endpoints=\(endpoints.map(\.grpc).joined(separator: ",")) member list")
        if let first = endpoints.first {
            lines.append("metrics: curl http://\(first.grpc)/metrics (also /health and /version, on every member's ports)")
        }
        print(lines.joined(separator: "\n"))
        fflush(nil)
    }

    /// Prints the leader's stage medians every `seconds`, while it has answered puts since the
    /// last line (an idle cluster prints nothing).
    private static func printStages(every seconds: Double, cluster: Cluster) -> Task<Void, Never> {
        Task {
            var lastNewest: UInt64?
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(seconds))
                guard let leader = cluster.leader, let member = cluster.member(leader) else { continue }
                let traces = member.recentTraces(limit: 256)
                let newest = traces.last?.requestID
                guard newest != lastNewest else { continue }
                lastNewest = newest
                let breakdown = StageBreakdown(traces)
                guard !breakdown.steps.isEmpty else { continue }
                print("stages p50 µs, member \(leader): " + breakdown.text + "  (\(breakdown.traces) traces)"
                    + (cluster.cpuPackingReport.map { "; member threads " + Self.packingText($0) } ?? ""))
                fflush(nil)
            }
        }
    }

    /// Where the member threads are and what the last packing window measured.
    static func packingText(_ report: CPUPacking.Report) -> String {
        guard report.available else { return PlacementOptions.unavailableText }
        return "\(report.placement), last window " + String(
            format: "%.2f of a CPU, %.1f entries a write", report.lastWindow.usage, report.lastWindow.entriesPerSync)
    }

    /// Cancels `task` when one of `signals` arrives, instead of the process dying, so the cluster
    /// shuts down and closes its WALs.
    private static func cancelOnSignals(_ signals: [Int32], task: Task<Void, any Error>) -> [any DispatchSourceSignal] {
        signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
    }
}
