import Foundation
import Testing

/// `etcdctl lock` and `etcdctl elect` against `rafttop serve`. etcdctl 3.4 runs clientv3's
/// concurrency package itself (a session lease, then Txn, Range and Watch), not the Lock and
/// Election services, so these need LeaseGrant and LeaseKeepAlive.
extension EtcdctlEndToEndTests {
    @Test
    func etcdctlLockRunsTheCommandHoldingTheLock() async throws {
        let served = try await Self.serve(dataDirectory: nil)
        defer { served.process.stop() }

        #expect(try Self.ok(served, ["lock", "mylock", "--", "echo", "held"]) == "held\n")
        // The lock's key went with the unlock.
        #expect(try Self.ok(served, ["get", "mylock", "--prefix"]).isEmpty)
    }

    @Test
    func etcdctlElectCampaignsAndObserves() async throws {
        let served = try await Self.serve(dataDirectory: nil)
        defer { served.process.stop() }
        let etcdctl = try #require(ExternalTools.etcdctl)
        let endpoints = "--endpoints=\(served.endpoints.joined(separator: ","))"

        let observer = try BackgroundProcess(etcdctl, [endpoints, "elect", "-l", "chair"], environment: ["ETCDCTL_API": "3"])
        defer { observer.stop() }
        let first = try BackgroundProcess(etcdctl, [endpoints, "elect", "chair", "alice"], environment: ["ETCDCTL_API": "3"])
        defer { first.stop() }
        // Each prints the leader's key (the election's name, a slash, the session's lease in
        // hex) and value.
        try await Self.waitForOutput("\nalice\n", of: first)
        try await Self.waitForOutput("\nalice\n", of: observer)
        #expect(first.output.hasPrefix("chair/"))

        let second = try BackgroundProcess(etcdctl, [endpoints, "elect", "chair", "bob"], environment: ["ETCDCTL_API": "3"])
        defer { second.stop() }
        // SIGTERM: etcdctl resigns, and the second candidate leads.
        try await first.terminate()
        try await Self.waitForOutput("\nbob\n", of: second)
        try await Self.waitForOutput("\nbob\n", of: observer)
        let lines = observer.output.split(separator: "\n")
        #expect(lines.count == 4 && lines[1] == "alice" && lines[3] == "bob", "elect -l printed \(observer.output)")
    }

    /// Waits for `text` in what `etcdctl` printed; if it exits first, fails at once with that.
    static func waitForOutput(_ text: String, of etcdctl: BackgroundProcess) async throws {
        struct Exited: Error, CustomStringConvertible {
            let output: String
            var description: String { "etcdctl exited: \(output)" }
        }
        try await waitFor("\"\(text)\" from etcdctl", seconds: 120) {
            if etcdctl.output.contains(text) { return true }
            if !etcdctl.process.isRunning { throw Exited(output: etcdctl.output) }
            return false
        }
    }
}
