import Foundation
import Testing

/// etcdctl 3.4's lease commands against `rafttop serve`, and the same script against etcd 3.4
/// where it is installed: the two print the same, lease ids and seconds left aside.
@Suite(.serialized, .enabled(if: ExternalTools.haveClients, "etcdctl or curl is not installed: apt-get install etcd-client curl"))
struct LeaseEndToEndTests {
    typealias Run = ([String]) throws -> ExternalTools.Output

    /// The lease commands a user tries first, each command's output (stdout, or the error it
    /// printed) with the lease id replaced by LEASE and the seconds left by N.
    static func script(_ run: Run) throws -> [String] {
        var lines: [String] = []
        let granted = try run(["lease", "grant", "60"])
        let words = granted.stdout.split(separator: " ")
        try #require(granted.status == 0 && words.count > 1, "lease grant: \(granted.stderr)")
        let lease = String(words[1])
        func record(_ arguments: [String]) throws {
            let out = try run(arguments)
            var text = out.status == 0 ? out.stdout : "error: " + (out.stderr.components(separatedBy: "Error: ").last ?? out.stderr)
            text = text.replacingOccurrences(of: lease, with: "LEASE")
            text = text.replacingOccurrences(of: #"remaining\(\d+s\)"#, with: "remaining(Ns)", options: .regularExpression)
            // etcd lists a lease's keys in its map's order, which changes from run to run.
            if let open = text.range(of: "attached keys(["), let close = text.range(of: "])", range: open.upperBound..<text.endIndex) {
                let keys = text[open.upperBound..<close.lowerBound].split(separator: " ").sorted().joined(separator: " ")
                text.replaceSubrange(open.upperBound..<close.lowerBound, with: keys)
            }
            lines.append("$ " + arguments.joined(separator: " ").replacingOccurrences(of: lease, with: "LEASE") + "\n" + text)
        }
        lines.append(granted.stdout.replacingOccurrences(of: lease, with: "LEASE"))
        try record(["put", "--lease=\(lease)", "leased/a", "1"])
        try record(["put", "--lease=\(lease)", "leased/b", "2"])
        try record(["lease", "timetolive", lease, "--keys"])
        try record(["lease", "list"])
        try record(["lease", "keep-alive", "--once", lease])
        try record(["put", "--ignore-lease", "leased/a", "3"])
        try record(["get", "leased/a", "-w", "fields"])
        try record(["lease", "revoke", lease])
        try record(["get", "leased", "--prefix"])
        try record(["lease", "timetolive", lease])
        try record(["lease", "keep-alive", "--once", lease])
        try record(["put", "--lease=1234abcd", "k", "v"])
        try record(["lease", "revoke", "1234abcd"])
        return lines
    }

    static let expected = [
        "lease LEASE granted with TTL(60s)\n",
        "$ put --lease=LEASE leased/a 1\nOK\n",
        "$ put --lease=LEASE leased/b 2\nOK\n",
        "$ lease timetolive LEASE --keys\nlease LEASE granted with TTL(60s), remaining(Ns), attached keys([leased/a leased/b])\n",
        "$ lease list\nfound 1 leases\nLEASE\n",
        "$ lease keep-alive --once LEASE\nlease LEASE keepalived with TTL(60)\n",
        "$ put --ignore-lease leased/a 3\nOK\n",
        "$ lease revoke LEASE\nlease LEASE revoked\n",
        "$ get leased --prefix\n",
        "$ lease timetolive LEASE\nlease LEASE already expired\n",
        "$ lease keep-alive --once LEASE\nerror: etcdserver: requested lease not found\n",
        "$ put --lease=1234abcd k v\nerror: etcdserver: requested lease not found\n",
        "$ lease revoke 1234abcd\nerror: failed to revoke lease (etcdserver: requested lease not found)\n",
    ]

    @Test func leaseCommandsPrintWhatTheyPrintForEtcd() async throws {
        let served = try await EtcdctlEndToEndTests.serve(dataDirectory: nil)
        defer { served.process.stop() }
        let ours = try Self.script { try EtcdctlEndToEndTests.etcdctl(served, $0) }
        let withoutFields = ours.filter { !$0.hasPrefix("$ get leased/a -w fields") }
        #expect(withoutFields == Self.expected)
        // ignore_lease kept the key's lease.
        let fields = try #require(ours.first { $0.hasPrefix("$ get leased/a -w fields") })
        #expect(fields.contains("\"Lease\" : LEASE") || fields.range(of: #""Lease" : [1-9]"#, options: .regularExpression) != nil, "\(fields)")
        #expect(fields.contains("\"Value\" : \"3\""))

        guard EtcdProcesses.etcd != nil else { return }
        let etcd = try EtcdProcesses(members: 1, clientPortBase: 23821, peerPortBase: 23831)
        defer { etcd.stop() }
        let run: Run = { arguments in
            try ExternalTools.run(ExternalTools.etcdctl!, ["--endpoints=\(etcd.endpoints[0])"] + arguments, environment: ["ETCDCTL_API": "3"])
        }
        try await waitFor("etcd to serve", seconds: 120) { (try? run(["endpoint", "health"]))?.status == 0 }
        let theirs = try Self.script(run)
        #expect(ours.filter { !$0.hasPrefix("$ get leased/a -w fields") } == theirs.filter { !$0.hasPrefix("$ get leased/a -w fields") })
    }

    @Test func aKeyIsGoneOnceItsLeaseRunsOut() async throws {
        let served = try await EtcdctlEndToEndTests.serve(dataDirectory: nil)
        defer { served.process.stop() }
        let granted = try EtcdctlEndToEndTests.ok(served, ["lease", "grant", "2"])
        #expect(granted.hasSuffix("granted with TTL(2s)\n"))
        let lease = String(granted.split(separator: " ")[1])
        #expect(try EtcdctlEndToEndTests.ok(served, ["put", "--lease=\(lease)", "short", "lived"]) == "OK\n")
        #expect(try EtcdctlEndToEndTests.ok(served, ["get", "short", "--print-value-only"]) == "lived\n")
        try await waitFor("the key to go with its lease", seconds: 120) {
            (try? EtcdctlEndToEndTests.ok(served, ["get", "short"])) == ""
        }
        // Every member deleted it: a serializable read asks each one's own store.
        for endpoint in served.endpoints {
            let out = try ExternalTools.run(ExternalTools.etcdctl!, ["--endpoints=\(endpoint)", "get", "short", "--consistency=s"],
                                            environment: ["ETCDCTL_API": "3"])
            #expect(out.status == 0 && out.stdout.isEmpty, "\(endpoint): \(out.stdout) \(out.stderr)")
        }
    }
}
