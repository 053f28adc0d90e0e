import Check
import Foundation
import SwiftProtobuf
import Testing
@testable import EtcdAPI

/// Mutated requests, as a fuzzer makes them, into the JSON gateway and the gRPC handlers: every
/// one gets an answer or etcd's error, never a crash, and the member keeps serving.
@Suite struct RequestFuzzTests {
    static let iterations = 150

    @Test func jsonGatewayAnswersEveryMutatedBody() async throws {
        try await APIHarness.with { h in
            let routes = GatewayRoutes(api: h.server.api(for: 1))
            let corpus: [(String, String)] = [
                ("/v3/kv/put", #"{"key":"Zm9v","value":"YmFy","prev_kv":true}"#),
                ("/v3/kv/range", #"{"key":"Zm9v","range_end":"Zm9w","limit":"10","revision":"0"}"#),
                ("/v3/kv/deleterange", #"{"key":"Zm9v","prev_kv":true}"#),
                ("/v3/kv/txn", #"{"compare":[{"key":"Zm9v","target":"VALUE","result":"EQUAL","value":"YmFy"}],"success":[{"request_put":{"key":"Zm9v","value":"YmF6"}}]}"#),
                ("/v3/kv/compaction", #"{"revision":"1"}"#),
                ("/v3/maintenance/status", "{}"),
            ]
            let bodies = corpus.map { Array($0.1.utf8) }
            var mutator = Mutator(seed: 0x6a73)
            for i in 0..<Self.iterations {
                let (path, body) = corpus[i % corpus.count]
                let input = mutator.mutate(Array(body.utf8), corpus: bodies)
                let reply = await routes.respond(method: "POST", path: path, body: input)
                #expect((200..<600).contains(reply.status), "iteration \(i) on \(path)")
                #expect((try? JSONSerialization.jsonObject(with: Data(reply.body))) != nil, "iteration \(i): the reply is JSON")
            }
            let after = await routes.respond(method: "POST", path: "/v3/kv/put", body: Array(#"{"key":"YWZ0ZXI=","value":"eA=="}"#.utf8))
            #expect(after.status == 200, "the member still serves")
        }
    }

    @Test func grpcHandlersAnswerEveryMutatedMessage() async throws {
        try await APIHarness.with { h in
            let api = h.server.api(for: 1)
            var put = Etcdserverpb_PutRequest()
            put.key = Data("foo".utf8)
            put.value = Data("bar".utf8)
            var range = Etcdserverpb_RangeRequest()
            range.key = Data("foo".utf8)
            range.rangeEnd = Data("fop".utf8)
            var txn = Etcdserverpb_TxnRequest()
            var compare = Etcdserverpb_Compare()
            compare.key = Data("foo".utf8)
            compare.target = .value
            compare.value = Data("bar".utf8)
            txn.compare = [compare]
            var op = Etcdserverpb_RequestOp()
            op.requestPut = put
            txn.success = [op]
            let corpus: [[UInt8]] = [
                Array(try put.serializedData()), Array(try range.serializedData()), Array(try txn.serializedData()),
            ]
            var mutator = Mutator(seed: 0x6772)
            var answered = 0
            for i in 0..<Self.iterations {
                let input = Data(mutator.mutate(corpus[i % corpus.count], corpus: corpus))
                switch i % 3 {
                case 0:
                    guard let request = try? Etcdserverpb_PutRequest(serializedBytes: input) else { continue }
                    _ = try? await api.put(request)
                case 1:
                    guard let request = try? Etcdserverpb_RangeRequest(serializedBytes: input) else { continue }
                    _ = try? await api.range(request)
                default:
                    guard let request = try? Etcdserverpb_TxnRequest(serializedBytes: input) else { continue }
                    _ = try? await api.txn(request)
                }
                answered += 1
            }
            #expect(answered > 0, "some mutated messages decoded and reached the handlers")
            #expect((try? await api.put(put)) != nil, "the member still serves")
        }
    }
}
