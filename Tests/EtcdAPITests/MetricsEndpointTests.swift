@testable import EtcdAPI
import Foundation
import NIOCore
import Raft
import Server
import Testing

/// /metrics, /health and /version as a Prometheus server, a load balancer and etcdctl read them:
/// over HTTP/1.1 on each member's client port (beside gRPC) and on its gateway port.
@Suite struct MetricsEndpointTests {
    @Test func everyPortServesValidPrometheusTextOfItsOwnMember() async throws {
        try await APIHarness.with(members: 3) { api in
            let lead = try #require(api.cluster.leader)
            for i in 0..<5 { try await Self.put(api, via: lead, "k\(i)") }
            // A call the front server relays to the full gRPC server.
            let status = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: lead))
            _ = try await status.patientCall(path: "/etcdserverpb.Maintenance/Status", message: [])
            await status.close()
            try await waitFor("every member to apply every entry", seconds: 100) {
                let commit = api.cluster.member(lead)!.status().raft.commit
                return api.cluster.ids.allSatisfy { api.cluster.member($0)!.status().appliedIndex == commit }
            }
            var leaders = 0
            for id in api.cluster.ids {
                for port in [api.port(of: id), api.gatewayPort(of: id)] {
                    let answer = try await HTTPAnswer.get(port: port, "/metrics")
                    #expect(answer.status == 200)
                    #expect(answer.headers["content-type"] == OperatorEndpoints.metricsContentType)
                    let text = try Self.validExposition(answer.body)
                    let member = try #require(api.cluster.member(id)).status()
                    #expect(text.value("etcd_server_proposals_committed_total") == Double(member.raft.commit), "member \(id)")
                    #expect(text.value("etcd_server_proposals_applied_total") == Double(member.appliedIndex))
                    #expect(text.value("etcd_server_has_leader") == 1)
                    #expect(text.value("etcd_debugging_mvcc_keys_total") == 5)
                    #expect(text.value("etcd_mvcc_db_total_size_in_bytes").map { $0 > 0 } == true)
                    #expect(text.histogram("etcd_disk_wal_fsync_duration_seconds").map { $0.count > 0 } == true)
                    #expect(text.histogram("etcd_server_apply_duration_seconds").map { $0.count > 0 } == true)
                    if port == api.port(of: id) { leaders += Int(text.value("etcd_server_is_leader") ?? 0) }
                }
            }
            #expect(leaders == 1)
            // The leader's client port counted the puts it answered itself and the call it relayed.
            let text = try Self.validExposition(try await HTTPAnswer.get(port: api.port(of: lead), "/metrics").body)
            let put = ["grpc_type": "unary", "grpc_service": "etcdserverpb.KV", "grpc_method": "Put"]
            #expect(text.value("grpc_server_started_total", labels: put) == 5)
            #expect(text.value("grpc_server_handled_total", labels: put.merging(["grpc_code": "OK"]) { $1 }) == 5)
            let relayed = ["grpc_service": "etcdserverpb.Maintenance", "grpc_method": "Status"]
            #expect(text.value("grpc_server_started_total", labels: relayed) == 1)
            #expect(text.value("grpc_server_handled_total", labels: relayed.merging(["grpc_code": "OK"]) { $1 }) == 1)
            #expect(text.value("grpc_server_started_total", labels: ["grpc_method": "Watch"]) == 0)
            #expect(text.samples["grpc_server_started_total"]?.first { $0.labels["grpc_method"] == "Watch" }?.labels["grpc_type"] == "bidi_stream")
        }
    }

    /// `rafttop attach` reads rafttop's own members as it reads etcd's, over one kept-alive
    /// connection to the client port.
    @Test func attachModesScraperReadsOurMembers() async throws {
        try await APIHarness.with(members: 1) { api in
            try await Self.put(api, via: 1, "k")
            let scraper = MetricsScraper(host: "127.0.0.1", port: api.port(of: 1))
            defer { scraper.close() }
            for _ in 0..<2 {
                let reading = try EtcdMetricsReading(try PrometheusText(parsing: try await scraper.scrape(timeout: callTimeout)))
                let status = try #require(api.cluster.member(1)).status()
                #expect(reading.proposalsCommitted == Double(status.raft.commit))
                #expect(reading.proposalsPending == 0)
                #expect(reading.walFsync.map { $0.count > 0 } == true)
                #expect(reading.apply.map { $0.count > 0 } == true)
                #expect(reading.backendCommit == nil)
            }
            #expect(api.server.connectionReports(for: 1).filter(\.http1).count == 1)
        }
    }

    @Test func aRelayedStreamIsCountedWhenItStartsAndWhenItEnds() async throws {
        try await APIHarness.with(members: 1) { api in
            _ = try await WatchTests.watch(api, requests: [WatchTests.create("k")]) { $0.contains { $0.created } }
            let watch = ["grpc_type": "bidi_stream", "grpc_service": "etcdserverpb.Watch", "grpc_method": "Watch"]
            var text = try Self.validExposition(try await HTTPAnswer.get(port: api.port(of: 1), "/metrics").body)
            #expect(text.value("grpc_server_started_total", labels: watch) == 1)
            // The stream's end is counted once the server has seen the client go.
            let deadline = ContinuousClock.now + .seconds(100)
            func handled(_ text: PrometheusText) -> Double {
                (text.samples["grpc_server_handled_total"] ?? []).filter { $0.labels["grpc_method"] == "Watch" }.reduce(0) { $0 + $1.value }
            }
            while handled(text) == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                text = try Self.validExposition(try await HTTPAnswer.get(port: api.port(of: 1), "/metrics").body)
            }
            #expect(handled(text) == 1)
        }
    }

    @Test func aFailedCallIsCountedWithItsCode() async throws {
        try await APIHarness.with(members: 1) { api in
            let client = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: 1))
            var empty = Etcdserverpb_PutRequest()
            empty.value = Data("v".utf8)
            await #expect(throws: UnaryCallError.self) {
                _ = try await client.patientCall(path: "/etcdserverpb.KV/Put", message: try empty.serializedBytes())
            }
            await client.close()
            let text = try Self.validExposition(try await HTTPAnswer.get(port: api.port(of: 1), "/metrics").body)
            #expect(text.value("grpc_server_handled_total", labels: ["grpc_method": "Put", "grpc_code": "InvalidArgument"]) == 1)
            #expect(text.value("grpc_server_handled_total", labels: ["grpc_method": "Put", "grpc_code": "OK"]) == 0)
        }
    }

    @Test func healthIsTrueWithALeaderAndFalseOnceTheMajorityIsLost() async throws {
        try await APIHarness.with(members: 3) { api in
            let lead = try #require(api.cluster.leader)
            let survivor = try #require(api.cluster.ids.first { $0 != lead })
            for port in [api.port(of: survivor), api.gatewayPort(of: survivor)] {
                let answer = try await HTTPAnswer.get(port: port, "/health")
                #expect(answer.status == 200)
                #expect(answer.body == #"{"health":"true","reason":""}"#)
            }
            for id in api.cluster.ids where id != survivor { try api.cluster.crash(id) }
            try await waitFor("the survivor to lose its leader", seconds: 100) {
                api.cluster.member(survivor)!.status().raft.lead == noNode
            }
            for port in [api.port(of: survivor), api.gatewayPort(of: survivor)] {
                let answer = try await HTTPAnswer.get(port: port, "/health")
                #expect(answer.status == 503)
                let health = try JSONDecoder().decode(OperatorEndpoints.Health.self, from: Data(answer.body.utf8))
                #expect(health == OperatorEndpoints.Health(health: "false", reason: "RAFT NO LEADER"))
                // serializable=true asks after this member alone, as etcd's does.
                #expect(try await HTTPAnswer.get(port: port, "/health?serializable=true").status == 200)
            }
            let text = try Self.validExposition(try await HTTPAnswer.get(port: api.port(of: survivor), "/metrics").body)
            #expect(text.value("etcd_server_has_leader") == 0)
            #expect(text.value("etcd_server_health_failures") == 2)
            #expect(text.value("etcd_server_health_success") == 4)
            // A stopped member's ports say so.
            #expect(try await HTTPAnswer.get(port: api.port(of: lead), "/health").status == 503)
            #expect(try await HTTPAnswer.get(port: api.port(of: lead), "/metrics").status == 503)
        }
    }

    @Test func anAlarmMakesEveryMemberUnhealthyUntilItIsDisarmed() async throws {
        try await APIHarness.with(members: 3) { api in
            var raise = Etcdserverpb_AlarmRequest()
            raise.action = .activate
            raise.memberID = 2
            raise.alarm = .nospace
            _ = try await api.server.api(for: 1).alarm(raise)
            for id in api.cluster.ids {
                try await waitFor("member \(id) to apply the alarm", seconds: 100) { !api.cluster.member(id)!.status().alarms.isEmpty }
                let answer = try await HTTPAnswer.get(port: api.port(of: id), "/health")
                #expect(answer.status == 503)
                #expect(try JSONDecoder().decode(OperatorEndpoints.Health.self, from: Data(answer.body.utf8)).reason == "ALARM NOSPACE")
            }
            var disarm = raise
            disarm.action = .deactivate
            _ = try await api.server.api(for: 1).alarm(disarm)
            try await waitFor("member 3 to apply the disarm", seconds: 100) { api.cluster.member(3)!.status().alarms.isEmpty }
            #expect(try await HTTPAnswer.get(port: api.port(of: 3), "/health").status == 200)
        }
    }

    @Test func versionNamesTheVersionStatusReports() async throws {
        try await APIHarness.with(members: 1) { api in
            for port in [api.port(of: 1), api.gatewayPort(of: 1)] {
                let answer = try await HTTPAnswer.get(port: port, "/version")
                #expect(answer.status == 200)
                let versions = try JSONDecoder().decode(OperatorEndpoints.Versions.self, from: Data(answer.body.utf8))
                #expect(versions.etcdserver == (try api.server.api(for: 1).status().version))
                #expect(versions.etcdcluster == "3.4.0")
            }
        }
    }

    @Test func otherPathsAndMethodsAreRefusedAndKeepAliveIsHonoured() async throws {
        try await APIHarness.with(members: 1) { api in
            let port = api.port(of: 1)
            #expect(try await HTTPAnswer.get(port: port, "/v3/kv/range").status == 404)
            let post = try await HTTPAnswer.request(port: port, "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(post.status == 405)
            #expect(post.headers["allow"] == "GET")
            // Two requests on one kept-alive connection, the second closing it.
            let client = try await RawTCPClient.connect(
                port: port, first: "GET /version HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            try await waitFor("both answers and the close", seconds: 100) { client.isClosed }
            #expect(client.received.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 2, "\(client.received)")
            // gRPC is served beside it, and the HTTP/1.1 connections are reported as such.
            try await Attacker.expectServed(api)
            #expect(api.server.connectionReports(for: 1).contains { $0.http1 && $0.closed })
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func curlReadsEtcdsMetricNames() async throws {
        try await APIHarness.with(members: 1) { api in
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["--silent", "--show-error", "--fail", "--max-time", "60", "http://127.0.0.1:\(api.port(of: 1))/metrics"]
            let out = Pipe()
            curl.standardOutput = out
            try curl.run()
            let body = out.fileHandleForReading.readDataToEndOfFile()
            curl.waitUntilExit()
            #expect(curl.terminationStatus == 0)
            let text = try Self.validExposition(String(decoding: body, as: UTF8.self))
            for name in ["etcd_server_proposals_committed_total", "etcd_server_proposals_applied_total", "etcd_server_proposals_pending",
                         "etcd_server_proposals_failed_total", "etcd_server_leader_changes_seen_total", "etcd_server_has_leader",
                         "etcd_server_is_leader", "etcd_mvcc_db_total_size_in_bytes", "etcd_debugging_mvcc_keys_total"] {
                #expect(text.value(name) != nil, "\(name)")
            }
            #expect(text.histogram("etcd_disk_wal_fsync_duration_seconds") != nil)
            #expect(text.samples["grpc_server_handled_total"] != nil)
        }
    }

    @Test(arguments: [
        ("GET /metrics HTTP/1.1\r\n", true), ("POST /", true), ("PUT", true), ("HEAD", true),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false), ("PRI * HTTP/2", false), ("P", false), ("", false),
        ("\u{16}\u{03}\u{01}", false), ("get /metrics", false),
    ])
    func theClientPortTellsHTTP1FromHTTP2ByTheFirstBytes(_ first: String, _ http1: Bool) {
        #expect(FrontConnectionHandler.isHTTP1(ByteBuffer(string: first).readableBytesView) == http1, "\(first.debugDescription)")
    }

    // MARK: Hostile HTTP/1.1 clients on the client port

    @Test func anHTTP1HeadOverTheLimitIsRefused() async throws {
        try await APIHarness.with(members: 1) { api in
            let client = try await RawTCPClient.connect(
                port: api.port(of: 1), first: "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "h", count: 32 << 10) + "\r\n\r\n")
            try await waitFor("the connection to close", seconds: 100) { client.isClosed }
            #expect(client.received.hasPrefix("HTTP/1.1 400"), "\(client.received.prefix(80))")
            try await Attacker.expectServed(api)
        }
    }

    @Test func anHTTP1HeadThatNeverEndsTimesOut() async throws {
        var limits = GatewayLimits()
        limits.headerTimeout = .milliseconds(300)
        try await APIHarness.with(members: 1, gatewayLimits: limits) { api in
            let client = try await RawTCPClient.connect(port: api.port(of: 1), first: "GET /metrics HTTP/1.1\r\nHost: t")
            try await waitFor("the connection to close", seconds: 100) { client.isClosed }
            #expect(client.received.isEmpty)
            try await Attacker.expectServed(api, attempts: 20)
        }
    }

    @Test func anHTTP1BodyIsDroppedAndCutOff() async throws {
        try await APIHarness.with(members: 1) { api in
            let client = try await RawTCPClient.connect(
                port: api.port(of: 1), first: "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n")
            for _ in 0..<16 { client.write(String(repeating: "b", count: 64 << 10)) }
            try await waitFor("the connection to close", seconds: 100) { client.isClosed }
            #expect(client.received.hasPrefix("HTTP/1.1 413"), "\(client.received.prefix(80))")
            try await Attacker.expectServed(api)
        }
    }

    // MARK: Helpers

    static func put(_ api: APIHarness, via id: NodeID, _ key: String) async throws {
        let client = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: id))
        _ = try await client.patientCall(path: "/etcdserverpb.KV/Put", message: try Etcdserverpb_PutRequest(key, "v").serializedBytes())
        await client.close()
    }

    /// Parses `body` as Prometheus's text format 0.0.4, more strictly than the scraper does: every
    /// line a sample, a HELP or a TYPE line; every family typed once, before its samples; each
    /// histogram's buckets cumulative and ending at +Inf, equal to its _count.
    static func validExposition(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> PrometheusText {
        #expect(body.hasSuffix("\n"), sourceLocation: sourceLocation)
        var types: [String: PrometheusMetricType] = [:]
        var seen: Set<String> = []
        var buckets: [String: [(le: Double, count: Double)]] = [:]
        var counts: [String: Double] = [:]
        for (index, line) in body.split(separator: "\n").enumerated() {
            let number = index + 1
            if line.hasPrefix("# HELP ") { continue }
            if line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ")
                let type = words.count == 4 ? PrometheusMetricType(rawValue: String(words[3])) : nil
                #expect(type != nil, "line \(number): \(line)", sourceLocation: sourceLocation)
                let family = String(words[2])
                #expect(types[family] == nil && !seen.contains(family), "line \(number): \(family) typed twice or late",
                        sourceLocation: sourceLocation)
                types[family] = type
                continue
            }
            #expect(!line.hasPrefix("#"), "line \(number): \(line)", sourceLocation: sourceLocation)
            let sample = try PrometheusText.sample(String(line), lineNumber: number)
            let family = Self.family(of: sample.name, types)
            #expect(family != nil, "line \(number): \(sample.name) has no TYPE", sourceLocation: sourceLocation)
            guard let family else { continue }
            seen.insert(family)
            guard types[family] == .histogram else { continue }
            var series = sample.labels
            series["le"] = nil
            let key = family + "\(series.sorted { $0.key < $1.key })"
            if sample.name == family + "_bucket" {
                let le = try #require(sample.labels["le"].flatMap { PrometheusText.number($0) }, sourceLocation: sourceLocation)
                buckets[key, default: []].append((le, sample.value))
            } else if sample.name == family + "_count" {
                counts[key] = sample.value
            }
        }
        #expect(!buckets.isEmpty, "no histogram", sourceLocation: sourceLocation)
        for (key, series) in buckets {
            let sorted = series.sorted { $0.le < $1.le }
            #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.count <= $1.count }, "\(key) is not cumulative",
                    sourceLocation: sourceLocation)
            #expect(sorted.last?.le == .infinity, "\(key) has no +Inf bucket", sourceLocation: sourceLocation)
            #expect(sorted.last?.count == counts[key], "\(key): +Inf is not _count", sourceLocation: sourceLocation)
        }
        return try PrometheusText(parsing: body)
    }

    private static func family(of name: String, _ types: [String: PrometheusMetricType]) -> String? {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == .histogram { return base }
        }
        return nil
    }
}

/// An HTTP/1.1 answer read off a raw connection: status, headers (names lower-cased) and body.
struct HTTPAnswer {
    var status: Int
    var headers: [String: String]
    var body: String

    static func get(port: Int, _ path: String) async throws -> HTTPAnswer {
        try await request(port: port, "GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    }

    /// Sends `request` (which asks to close the connection) and reads the answer.
    static func request(port: Int, _ request: String) async throws -> HTTPAnswer {
        let client = try await RawTCPClient.connect(port: port, first: request)
        try await waitFor("the answer", seconds: 100) { client.isClosed }
        let received = client.received
        let parts = received.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPAnswer(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
