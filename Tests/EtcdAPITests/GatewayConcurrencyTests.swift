import Foundation
import Testing
@testable import EtcdAPI

/// etcd's gateway routes for the Lock and Election services (/v3/lock/..., /v3/election/...).
@Suite struct GatewayConcurrencyTests {
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func lockUnlockAndAnElection() async throws {
        try await APIHarness.with { h in
            let routes = GatewayRoutes(api: h.server.api(for: 1))
            let lock = await routes.respond(method: "POST", path: "/v3/lock/lock",
                                            body: Array(#"{"name":"\#(Self.base64("gw"))"}"#.utf8))
            #expect(lock.status == 200)
            let key = try #require(try GatewayTests.json(lock)["key"] as? String)
            #expect(key == Self.base64("gw/0"))
            let unlock = await routes.respond(method: "POST", path: "/v3/lock/unlock", body: Array(#"{"key":"\#(key)"}"#.utf8))
            #expect(unlock.status == 200)

            let campaign = await routes.respond(method: "POST", path: "/v3/election/campaign",
                                                body: Array(#"{"name":"\#(Self.base64("e"))","value":"\#(Self.base64("v1"))"}"#.utf8))
            #expect(campaign.status == 200)
            let leaderKey = try #require(try GatewayTests.json(campaign)["leader"] as? [String: Any])
            #expect(leaderKey["key"] as? String == Self.base64("e/0"))
            let leaderJSON = String(decoding: try JSONSerialization.data(withJSONObject: leaderKey), as: UTF8.self)
            let proclaim = await routes.respond(method: "POST", path: "/v3/election/proclaim",
                                                body: Array(#"{"leader":\#(leaderJSON),"value":"\#(Self.base64("v2"))"}"#.utf8))
            #expect(proclaim.status == 200)
            let leader = await routes.respond(method: "POST", path: "/v3/election/leader", body: Array(#"{"name":"\#(Self.base64("e"))"}"#.utf8))
            let kv = try #require(try GatewayTests.json(leader)["kv"] as? [String: Any])
            #expect(kv["value"] as? String == Self.base64("v2"))
            let resign = await routes.respond(method: "POST", path: "/v3/election/resign", body: Array(#"{"leader":\#(leaderJSON)}"#.utf8))
            #expect(resign.status == 200)

            // grpc-gateway sends Unknown as 500.
            let none = await routes.respond(method: "POST", path: "/v3/election/leader", body: Array(#"{"name":"\#(Self.base64("e"))"}"#.utf8))
            #expect(none.status == 500)
            let error = try GatewayTests.json(none)
            #expect(error["error"] as? String == "election: no leader" && error["code"] as? Int == 2)
        }
    }

    /// A Lock that waits over the gateway ends when its client closes the connection, and its
    /// key goes, as over gRPC.
    @Test func aWaitingLockEndsWithItsConnection() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in
                _ = try await kv.put(Etcdserverpb_PutRequest("gwait/1", ""))
                let body = #"{"name":"\#(Self.base64("gwait"))"}"#
                let request = "POST /v3/lock/lock HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                let client = try await RawTCPClient.connect(port: h.gatewayPort(of: 1), first: request)
                try await waitForKey("gwait/0", kv)
                #expect(client.received.isEmpty)
                await client.close()
                try await waitUntil("the waiting Lock's key to go") {
                    try await kv.range(.prefix("gwait/")).kvs.map(\.keyString) == ["gwait/1"]
                }
            }
        }
    }
}
