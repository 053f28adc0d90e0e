import Cluster
@testable import EtcdAPI
import Foundation
import Testing

/// The attachment's scrape of /metrics: against a real etcd (a put shows as a committed proposal
/// and an fsync), and against an endpoint with nothing listening (the member shows why it has no
/// metrics, and the poll goes on).
@Suite(.serialized) struct MetricsScrapeTests {
    /// Ports free on loopback now: bound to port 0 and closed, all held until each is known, so
    /// they differ from one another and from ports other tests chose the same way.
    static func freePorts(_ n: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for s in sockets { close(s) } }
        var ports: [Int] = []
        for _ in 0..<n {
            let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard s >= 0 else { throw TimedOut(what: "a socket") }
            sockets.append(s)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, length) == 0 && getsockname(s, $0, &length) == 0 }
            }
            guard bound else { throw TimedOut(what: "a free port") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    @Test(.enabled(if: EtcdProcesses.etcd != nil, "etcd is not installed: apt-get install etcd-server"))
    func aRealEtcdShowsItsProposalsAndFsyncs() async throws {
        let ports = try Self.freePorts(2)
        let etcd = try EtcdSingle(clientPort: ports[0], peerPort: ports[1])
        defer { etcd.stop() }
        let attachment = try EtcdAttachment(endpoints: [etcd.endpoint], pollInterval: .milliseconds(100),
                                            requestTimeout: callTimeout, metricsInterval: .zero)
        attachment.start()
        do {
            try await AttachTests.waitForSnapshot(attachment, "the member to lead") { $0.leader != nil }
            for i in 0..<10 {
                _ = try await attachment.put(key: "metrics-\(i)", value: Array("v\(i)".utf8)).get()
            }
            try await AttachTests.waitForSnapshot(attachment, "a scrape after the puts") { s in
                (s.attached?.members.first?.metrics?.proposalsApplied ?? 0) >= 10
            }
            let member = try #require(attachment.snapshot().attached?.members.first)
            #expect(member.metricsError == nil)
            let metrics = try #require(member.metrics)
            #expect(metrics.proposalsCommitted >= 10 && metrics.proposalsApplied >= 10)
            #expect(metrics.proposalsFailed == 0 && metrics.leaderChanges >= 1)
            let fsync = try #require(metrics.walFsync, "a WAL fsync p50 from etcd_disk_wal_fsync_duration_seconds")
            #expect(fsync.count > 0 && fsync.p50Micros <= fsync.p99Micros)
            #expect(metrics.applyExported == false || metrics.apply != nil)
        } catch {
            await attachment.shutdown()
            throw error
        }
        await attachment.shutdown()
    }

    @Test func aMemberWithoutMetricsSaysWhyAndThePollGoesOn() async throws {
        let port = try Self.freePorts(1)[0]
        let attachment = try EtcdAttachment(endpoints: ["127.0.0.1:\(port)"], pollInterval: .milliseconds(100),
                                            requestTimeout: callTimeout, metricsInterval: .zero)
        attachment.start()
        do {
            try await AttachTests.waitForSnapshot(attachment, "a scrape") { s in
                s.attached?.members.first?.metricsError != "metrics: not scraped yet"
            }
            let member = try #require(attachment.snapshot().attached?.members.first)
            #expect(member.metrics == nil && !member.reachable)
            #expect(member.metricsError == "metrics: cannot connect: Connection refused")
        } catch {
            await attachment.shutdown()
            throw error
        }
        await attachment.shutdown()
    }
}

/// One etcd member on the given loopback ports in a temporary directory, killed by its PID and
/// its directory removed by `stop`.
final class EtcdSingle: @unchecked Sendable {
    // Only the test's own thread touches `process`.
    private var process: Process?
    let endpoint: String
    let root: String

    init(clientPort: Int, peerPort: Int) throws {
        let binary = try EtcdProcesses.etcd ?? { throw TimedOut(what: "an etcd binary") }()
        root = NSTemporaryDirectory() + "rafttop-metrics-\(getpid())-\(clientPort)"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        endpoint = "127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--name", "m1", "--data-dir", "\(root)/m1", "--listen-client-urls", "http://\(endpoint)",
            "--advertise-client-urls", "http://\(endpoint)", "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "m1=\(peer)", "--log-level", "error",
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
    }

    func stop() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process = nil
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { stop() }
}
