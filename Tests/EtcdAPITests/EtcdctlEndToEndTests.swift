import Foundation
import Testing

/// etcdctl 3.4 (Debian's etcd-client) and curl against `rafttop serve` started from the built
/// binary, compared with what etcdctl prints for etcd.
@Suite(.serialized, .enabled(if: ExternalTools.haveClients, "etcdctl or curl is not installed: apt-get install etcd-client curl"))
struct EtcdctlEndToEndTests {
    struct Served {
        let process: BackgroundProcess
        let endpoints: [String]
        let gateways: [String]
    }

    /// Starts `rafttop serve` on ports the system chooses and reads its endpoints. Without a
    /// data directory the members keep their data in memory: tests that never restart leave the
    /// disk to those that do (a whole test run's fsyncs once took seconds each).
    static func serve(dataDirectory: String?, extraArguments: [String] = []) async throws -> Served {
        let binary = try #require(ExternalTools.rafttop, "the rafttop binary was not built beside the tests")
        let storage = dataDirectory.map { ["--data-dir", $0] } ?? ["--in-memory"]
        // The fewest rounds a member may hash passwords with: BoringSSL built for debugging is slow.
        let process = try BackgroundProcess(binary, ["serve", "--members", "3", "--client-port-base", "0",
                                                     "--gateway-port-base", "0", "--auth-pbkdf2-rounds", "1000"]
                                                    + storage + extraArguments)
        try await process.waitForOutput("try: ")
        var endpoints: [String] = []
        var gateways: [String] = []
        for line in process.output.split(separator: "\n") where line.hasPrefix("member ") {
            let words = line.split(separator: " ")
            endpoints.append(String(words[words.firstIndex(of: "gRPC")! + 1]))
            gateways.append(String(words[words.firstIndex(of: "gateway")! + 1]))
        }
        try #require(endpoints.count == 3, "rafttop serve printed: \(process.output)")
        return Served(process: process, endpoints: endpoints, gateways: gateways)
    }

    static func etcdctl(_ served: Served, _ arguments: [String], stdin: String? = nil) throws -> ExternalTools.Output {
        // etcdctl gives up after 5 s by default (and on an auth handshake after 2 s), which a whole
        // test run's load can exceed.
        try ExternalTools.run(ExternalTools.etcdctl!, ["--endpoints=\(served.endpoints.joined(separator: ","))", "--command-timeout=60s", "--dial-timeout=60s"] + arguments,
                              stdin: stdin, environment: ["ETCDCTL_API": "3"])
    }

    /// etcdctl's output, requiring that it succeeded.
    static func ok(_ served: Served, _ arguments: [String], stdin: String? = nil) throws -> String {
        let out = try etcdctl(served, arguments, stdin: stdin)
        try #require(out.status == 0, "etcdctl \(arguments.joined(separator: " ")) failed: \(out.stderr)")
        return out.stdout
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// As with etcd, a request that reaches a member before it knows a leader waits for one; it
    /// is not refused with "no leader". serve prints its endpoints as soon as its ports listen.
    @Test func aPutSentAsServeStartsWaitsForTheLeader() async throws {
        let served = try await Self.serve(dataDirectory: nil)
        defer { served.process.stop() }
        let first = try ExternalTools.run(ExternalTools.etcdctl!, ["--endpoints=\(served.endpoints[2])", "put", "first", "put"],
                                          environment: ["ETCDCTL_API": "3"])
        #expect(first.status == 0 && first.stdout == "OK\n", "\(first.stdout) \(first.stderr)")
        #expect(try Self.ok(served, ["get", "first", "--print-value-only"]) == "put\n")
    }

    @Test func serveDiscardPutsAnswersEtcdctlAndStoresNothing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-discard-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let served = try await Self.serve(dataDirectory: directory, extraArguments: ["--discard-puts"])
        defer { served.process.stop() }
        #expect(served.process.output.contains("PUTS DISCARDED"))
        #expect(try Self.ok(served, ["put", "thrown", "away"]) == "OK\n")
        #expect(try Self.ok(served, ["get", "thrown"]).isEmpty)
    }

    @Test func etcdctlAndCurlDriveTheCluster() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let served = try await Self.serve(dataDirectory: directory)
        defer { served.process.stop() }

        // member list: "ID, status, name, peer URLs, client URLs, is learner".
        let members = try Self.ok(served, ["member", "list"]).split(separator: "\n")
        #expect(members == (1...3).map {
            "\($0), started, member-\($0), http://127.0.0.1:\(22379 + $0), http://\(served.endpoints[$0 - 1]), false"[...]
        })

        #expect(try Self.ok(served, ["put", "foo", "bar"]) == "OK\n")
        #expect(try Self.ok(served, ["put", "foo/a", "1"]) == "OK\n")
        #expect(try Self.ok(served, ["put", "foo/b", "2"]) == "OK\n")
        #expect(try Self.ok(served, ["put", "foo", "baz"]) == "OK\n")
        #expect(try Self.ok(served, ["get", "foo", "--prefix"]) == "foo\nbaz\nfoo/a\n1\nfoo/b\n2\n")
        #expect(try Self.ok(served, ["get", "foo", "--rev=2"]) == "foo\nbar\n")
        #expect(try Self.ok(served, ["get", "nothing"]) == "")

        // -w json prints the RangeResponse with base64 keys and values.
        let got = try #require(try Self.json(try Self.ok(served, ["get", "foo", "-w", "json"])) as? [String: Any])
        let header = try #require(got["header"] as? [String: Any])
        #expect(header["revision"] as? Int == 5)
        let kv = try #require((got["kvs"] as? [[String: Any]])?.first)
        #expect(kv["value"] as? String == Data("baz".utf8).base64EncodedString())
        #expect(kv["create_revision"] as? Int == 2 && kv["mod_revision"] as? Int == 5 && kv["version"] as? Int == 2)

        let txn = "value(\"foo\") = \"baz\"\n\nput foo qux\nget foo/a\n\nput foo lost\n\n"
        #expect(try Self.ok(served, ["txn"], stdin: txn) == "SUCCESS\n\nOK\n\nfoo/a\n1\n")
        #expect(try Self.ok(served, ["txn"], stdin: txn) == "FAILURE\n\nOK\n")

        #expect(try Self.ok(served, ["del", "foo/", "--prefix"]) == "2\n")

        // watch from the first revision replays the history, then follows new writes.
        let watch = try BackgroundProcess(ExternalTools.etcdctl!, ["--endpoints=\(served.endpoints[1])", "watch", "foo", "--rev=1"],
                                          environment: ["ETCDCTL_API": "3"])
        try await watch.waitForOutput("PUT\nfoo\nlost\n")
        _ = try Self.ok(served, ["put", "foo", "live"])
        try await watch.waitForOutput("PUT\nfoo\nlive\n")
        try await watch.terminate()
        #expect(watch.output == "PUT\nfoo\nbar\nPUT\nfoo\nbaz\nPUT\nfoo\nqux\nPUT\nfoo\nlost\nPUT\nfoo\nlive\n")

        // Errors read as they do against etcd.
        let compacted = try Self.etcdctl(served, ["compaction", "3"])
        #expect(compacted.stdout == "compacted revision 3\n")
        let old = try Self.etcdctl(served, ["get", "foo", "--rev=2"])
        #expect(old.status != 0 && old.stderr.contains("Error: etcdserver: mvcc: required revision has been compacted"))
        let emptyKey = try Self.etcdctl(served, ["put", "", "v"])
        #expect(emptyKey.stderr.contains("Error: etcdserver: key is not provided"))

        // Malformed gRPC frames fail their call and leave the member serving.
        let frames = [Array("garbage".utf8), [0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff]]
        for (i, frame) in frames.enumerated() {
            let path = "\(directory)-frame-\(i)"
            try Data(frame).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let reply = try ExternalTools.run(ExternalTools.curl!, [
                "-s", "-i", "--http2-prior-knowledge", "-H", "content-type: application/grpc", "-H", "te: trailers",
                "-X", "POST", "--data-binary", "@\(path)", "http://\(served.endpoints[0])/etcdserverpb.KV/Put"])
            #expect(!reply.stdout.contains("grpc-status: 0"))
        }
        #expect(try Self.ok(served, ["get", "foo"]) == "foo\nlive\n")

        // endpoint status -w json: one entry per endpoint, all agreeing on the leader.
        let statuses = try #require(try Self.json(try Self.ok(served, ["endpoint", "status", "-w", "json"])) as? [[String: Any]])
        #expect(statuses.count == 3)
        let leaders = Set(statuses.compactMap { ($0["Status"] as? [String: Any])?["leader"] as? Int })
        #expect(leaders.count == 1 && leaders.first != 0)
        for status in statuses.compactMap({ $0["Status"] as? [String: Any] }) {
            #expect(status["version"] as? String == "3.4.45")
            #expect((status["raftIndex"] as? Int ?? 0) >= 10)
        }

        // rafttop attach polls the same Status and reads the same leader.
        let attach = try ExternalTools.run(try #require(ExternalTools.rafttop),
                                           ["attach", "--endpoints", served.endpoints.joined(separator: ","), "--once", "--json"])
        #expect(attach.status == 0)
        let attached = try #require(try Self.json(attach.stdout) as? [[String: Any]])
        #expect(attached.map { $0["reachable"] as? Bool } == [true, true, true])
        #expect(Set(attached.compactMap { $0["leader"] as? Int }) == leaders)

        // The JSON gateway, as etcd's documentation drives it with curl.
        let put = try ExternalTools.run(ExternalTools.curl!, ["-s", "-X", "POST", "\(served.gateways[0])/v3/kv/put",
                                                              "-d", #"{"key": "Zm9v", "value": "YmFy"}"#])
        #expect(put.stdout.contains(#""revision":"10""#))
        let range = try ExternalTools.run(ExternalTools.curl!, ["-s", "-X", "POST", "\(served.gateways[2])/v3/kv/range",
                                                                "-d", #"{"key": "Zm9v"}"#])
        #expect(range.stdout.contains(#""value":"YmFy""#))
        let status = try ExternalTools.run(ExternalTools.curl!, ["-s", "-X", "POST", "\(served.gateways[1])/v3/maintenance/status", "-d", "{}"])
        #expect(status.stdout.contains(#""version":"3.4.45""#))

        // SIGTERM, then a restart on the same data directory recovers every key.
        try await served.process.terminate()
        #expect(served.process.output.contains("rafttop serve: stopped"))
        let restarted = try await Self.serve(dataDirectory: directory)
        defer { restarted.process.stop() }
        #expect(try Self.ok(restarted, ["get", "foo"]) == "foo\nbar\n")
        #expect(try Self.ok(restarted, ["get", "", "--prefix", "--keys-only"]) == "foo\n\n")
        try await restarted.process.terminate()
    }
}
