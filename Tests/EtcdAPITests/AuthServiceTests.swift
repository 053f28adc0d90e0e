import EtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

/// The Auth service and token checks over gRPC, with etcd's status codes and messages.
@Suite struct AuthServiceTests {
    /// root (root role) and alice (readwrite on "k"), auth on.
    static func setUp(_ auth: Etcdserverpb_Auth.Client<HTTP2ClientTransport.Posix>) async throws {
        var root = Etcdserverpb_AuthUserAddRequest()
        root.name = "root"
        root.password = "root-pw"
        _ = try await auth.userAdd(root)
        var alice = root
        alice.name = "alice"
        alice.password = "alice-pw"
        _ = try await auth.userAdd(alice)
        var grantRoot = Etcdserverpb_AuthUserGrantRoleRequest()
        grantRoot.user = "root"
        grantRoot.role = "root"
        _ = try await auth.userGrantRole(grantRoot)
        var role = Etcdserverpb_AuthRoleAddRequest()
        role.name = "r"
        _ = try await auth.roleAdd(role)
        var permission = Etcdserverpb_AuthRoleGrantPermissionRequest()
        permission.name = "r"
        permission.perm.permType = .readwrite
        permission.perm.key = bytes("k")
        _ = try await auth.roleGrantPermission(permission)
        var grantAlice = Etcdserverpb_AuthUserGrantRoleRequest()
        grantAlice.user = "alice"
        grantAlice.role = "r"
        _ = try await auth.userGrantRole(grantAlice)
        _ = try await auth.authEnable(Etcdserverpb_AuthEnableRequest())
    }

    static func authenticate(_ auth: Etcdserverpb_Auth.Client<HTTP2ClientTransport.Posix>, _ name: String, _ password: String) async throws -> String {
        var request = Etcdserverpb_AuthenticateRequest()
        request.name = name
        request.password = password
        return try await auth.authenticate(request).token
    }

    @Test func tokensAreCheckedOnEveryCallAndWorkOnEveryMember() async throws {
        try await APIHarness.with { harness in
            let token = try await harness.withClient(1) { client in
                let auth = Etcdserverpb_Auth.Client(wrapping: client)
                try await Self.setUp(auth)
                return try await Self.authenticate(auth, "alice", "alice-pw")
            }
            for id in harness.cluster.ids {
                try await harness.withKV(id) { kv in
                    let put = try await kv.put(Etcdserverpb_PutRequest("k", "v\(id)"), metadata: ["token": .string(token)])
                    #expect(put.header.revision > 1)
                    let none = await rpcFailure { _ = try await kv.put(Etcdserverpb_PutRequest("k", "x")) }
                    #expect(none?.0 == .invalidArgument && none?.1 == "etcdserver: user name is empty")
                    let bad = await rpcFailure { _ = try await kv.range(Etcdserverpb_RangeRequest("k"), metadata: ["token": "forged.1"]) }
                    #expect(bad?.0 == .unauthenticated && bad?.1 == "etcdserver: invalid auth token")
                    let denied = await rpcFailure { _ = try await kv.put(Etcdserverpb_PutRequest("other", "x"), metadata: ["token": .string(token)]) }
                    #expect(denied?.0 == .permissionDenied && denied?.1 == "etcdserver: permission denied")
                }
            }
        }
    }

    @Test func aBruteForceOfWrongPasswordsIsSlowedDown() async throws {
        try await APIHarness.with { harness in
            try await harness.withClient(2) { client in
                let auth = Etcdserverpb_Auth.Client(wrapping: client)
                try await Self.setUp(auth)
                var refusals: [(RPCError.Code, String)] = []
                for guess in 0..<6 {
                    if let failure = await rpcFailure({ _ = try await Self.authenticate(auth, "alice", "guess-\(guess)") }) {
                        refusals.append(failure)
                    }
                }
                #expect(refusals.count == 6)
                let wrong = (RPCError.Code.invalidArgument, "etcdserver: authentication failed, invalid user ID or password")
                #expect(refusals.prefix(4).allSatisfy { $0 == wrong })
                // From the fifth, the name is blocked for 1 s, then 2 s, 4 s...: refused before the
                // password is looked at. Under a whole test run's load a guess can arrive after a
                // block ran out, and is then refused as wrong and blocks again for longer; so each
                // later refusal is one or the other, and the blocks catch at least one of them.
                func isBlocked(_ refusal: (RPCError.Code, String)?) -> Bool {
                    refusal?.0 == .resourceExhausted && refusal?.1.hasPrefix("etcdserver: authentication failed, too many failed attempts") == true
                }
                #expect(refusals.dropFirst(4).allSatisfy { isBlocked($0) || $0 == wrong })
                let rightPassword = await rpcFailure { _ = try await Self.authenticate(auth, "alice", "alice-pw") }
                #expect(rightPassword == nil || isBlocked(rightPassword), "the right password is refused only by a block")
                #expect(refusals.dropFirst(4).contains { isBlocked($0) } || isBlocked(rightPassword), "the blocks refuse a guess")
            }
        }
    }

    /// The first answer to a watch of `key` on a stream carrying `metadata`.
    static func firstWatchResponse(_ client: APIHarness.Client, _ key: String, metadata: Metadata) async throws -> Etcdserverpb_WatchResponse {
        let watch = Etcdserverpb_Watch.Client(wrapping: client)
        let first = try await watch.watch(metadata: metadata) { writer in
            try await writer.write(WatchTests.create(key))
            try await Task.sleep(for: .seconds(60))
        } onResponse: { response in
            for try await message in response.messages { return message }
            throw TimedOut(what: "a watch response")
        }
        return first
    }

    @Test func watchesNeedATokenAndReadPermission() async throws {
        try await APIHarness.with { harness in
            try await harness.withClient(3) { client in
                let auth = Etcdserverpb_Auth.Client(wrapping: client)
                try await Self.setUp(auth)
                let token = try await Self.authenticate(auth, "alice", "alice-pw")

                let anonymous = try await Self.firstWatchResponse(client, "k", metadata: [:])
                #expect(anonymous.canceled && anonymous.cancelReason == "etcdserver: user name is empty")
                let denied = try await Self.firstWatchResponse(client, "other", metadata: ["token": .string(token)])
                #expect(denied.canceled && denied.cancelReason == "etcdserver: permission denied")
                let allowed = try await Self.firstWatchResponse(client, "k", metadata: ["token": .string(token)])
                #expect(allowed.created && !allowed.canceled)
                let forged = await rpcFailure { _ = try await Self.firstWatchResponse(client, "k", metadata: ["token": "forged.1"]) }
                #expect(forged?.0 == .unauthenticated && forged?.1 == "etcdserver: invalid auth token")
            }
        }
    }
}
