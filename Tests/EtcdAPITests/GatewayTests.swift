import Foundation
import Testing
@testable import EtcdAPI

/// The JSON gateway's routes, called without HTTP: grpc-gateway's JSON in and out.
@Suite struct GatewayTests {
    static func json(_ reply: GatewayReply) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
    }

    @Test func putRangeDeleteStatus() async throws {
        try await APIHarness.with { h in
            let routes = GatewayRoutes(api: h.server.api(for: 1))
            let put = await routes.respond(method: "POST", path: "/v3/kv/put", body: Array(#"{"key":"Zm9v","value":"YmFy"}"#.utf8))
            #expect(put.status == 200)
            let header = try #require(try Self.json(put)["header"] as? [String: Any])
            #expect(header["revision"] as? String == "2")
            #expect(header["cluster_id"] as? String == String(h.cluster.clusterID))

            let range = await routes.respond(method: "POST", path: "/v3/kv/range", body: Array(#"{"key":"Zm9v"}"#.utf8))
            let kvs = try #require(try Self.json(range)["kvs"] as? [[String: Any]])
            #expect(kvs.first?["value"] as? String == "YmFy")
            #expect(kvs.first?["mod_revision"] as? String == "2")

            let delete = await routes.respond(method: "POST", path: "/v3/kv/deleterange", body: Array(#"{"key":"Zm9v"}"#.utf8))
            let deleted = try Self.json(delete)
            #expect(deleted["deleted"] as? String == "1")

            let status = await routes.respond(method: "POST", path: "/v3/maintenance/status", body: Array("{}".utf8))
            let statusBody = try Self.json(status)
            #expect(statusBody["version"] as? String == etcdAPIVersion)
        }
    }

    /// etcd's gateway routes for leases: grant, a put with the lease, time to live with keys,
    /// the list, revoke (under /v3/lease/ and the older /v3/kv/lease/).
    @Test func leasesThroughTheGateway() async throws {
        try await APIHarness.with { h in
            let routes = GatewayRoutes(api: h.server.api(for: 1))
            let grant = try Self.json(await routes.respond(method: "POST", path: "/v3/lease/grant", body: Array(#"{"TTL":"30"}"#.utf8)))
            let id = try #require(grant["ID"] as? String)
            #expect(grant["TTL"] as? String == "30")
            let put = await routes.respond(method: "POST", path: "/v3/kv/put", body: Array(#"{"key":"Zm9v","value":"YmFy","lease":"\#(id)"}"#.utf8))
            #expect(put.status == 200)
            let ttl = try Self.json(await routes.respond(method: "POST", path: "/v3/kv/lease/timetolive", body: Array(#"{"ID":"\#(id)","keys":true}"#.utf8)))
            #expect(ttl["grantedTTL"] as? String == "30")
            #expect(ttl["keys"] as? [String] == ["Zm9v"])
            let leases = try Self.json(await routes.respond(method: "POST", path: "/v3/lease/leases", body: Array("{}".utf8)))
            #expect((leases["leases"] as? [[String: Any]])?.compactMap { $0["ID"] as? String } == [id])
            let revoke = await routes.respond(method: "POST", path: "/v3/lease/revoke", body: Array(#"{"ID":"\#(id)"}"#.utf8))
            #expect(revoke.status == 200)
            let range = try Self.json(await routes.respond(method: "POST", path: "/v3/kv/range", body: Array(#"{"key":"Zm9v"}"#.utf8)))
            #expect(range["kvs"] == nil)
            let missing = await routes.respond(method: "POST", path: "/v3/lease/revoke", body: Array(#"{"ID":"\#(id)"}"#.utf8))
            #expect(missing.status == 404)
        }
    }

    @Test func errorsAsGrpcGatewayWritesThem() async throws {
        try await APIHarness.with { h in
            let routes = GatewayRoutes(api: h.server.api(for: 1))
            let empty = await routes.respond(method: "POST", path: "/v3/kv/put", body: Array(#"{"value":"YmFy"}"#.utf8))
            #expect(empty.status == 400)
            let body = try Self.json(empty)
            #expect(body["error"] as? String == "etcdserver: key is not provided")
            #expect(body["code"] as? Int == 3)

            let malformed = await routes.respond(method: "POST", path: "/v3/kv/put", body: Array(#"{"key":"#.utf8))
            #expect(malformed.status == 400)
            let unknown = await routes.respond(method: "POST", path: "/v3/kv/put", body: Array(#"{"kee":"Zm9v"}"#.utf8))
            #expect(unknown.status == 400)
            #expect(await routes.respond(method: "POST", path: "/v3/nothing", body: []).status == 404)
            #expect(await routes.respond(method: "GET", path: "/v3/kv/range", body: []).status == 405)
        }
    }

    @Test func membersAreListedUpdatedAndTheirChangesChecked() async throws {
        try await APIHarness.with { h in
            let routes = GatewayRoutes(api: h.server.api(for: 1))
            try await waitFor("a leader", seconds: 30) { h.cluster.leader != nil }
            let update = await routes.respond(method: "POST", path: "/v3/cluster/member/update",
                                              body: Array(#"{"ID":"1","peerURLs":["http://127.0.0.1:42380"]}"#.utf8))
            #expect(update.status == 200, "\(String(decoding: update.body, as: UTF8.self))")
            let list = await routes.respond(method: "POST", path: "/v3/cluster/member/list", body: Array("{}".utf8))
            let members = try #require(try Self.json(list)["members"] as? [[String: Any]])
            #expect(members.count == 3)
            #expect(members.first?["peerURLs"] as? [String] == ["http://127.0.0.1:42380"])
            #expect(members.last?["peerURLs"] as? [String] == [h.cluster.config.peerURL(of: 3)])

            let badURL = await routes.respond(method: "POST", path: "/v3/cluster/member/add", body: Array(#"{"peerURLs":["ftp://x"]}"#.utf8))
            #expect(badURL.status == 400)
            #expect(try Self.json(badURL)["error"] as? String == "etcdserver: given member URLs are invalid")
            let missing = await routes.respond(method: "POST", path: "/v3/cluster/member/remove", body: Array(#"{"ID":"42"}"#.utf8))
            #expect(missing.status == 404)
            #expect(try Self.json(missing)["error"] as? String == "etcdserver: member not found")
            let voter = await routes.respond(method: "POST", path: "/v3/cluster/member/promote", body: Array(#"{"ID":"2"}"#.utf8))
            #expect(try Self.json(voter)["error"] as? String == "etcdserver: can only promote a learner member")
        }
    }
}
