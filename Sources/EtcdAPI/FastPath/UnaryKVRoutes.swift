import Server
import SwiftProtobuf

/// The calls the front server answers itself, without handing them to gRPC's server stack:
/// etcd's five unary KV calls, the whole of a put's way in and out. Each decodes the request,
/// asks the member's API as the gRPC service would, and encodes the answer.
struct UnaryKVRoutes: Sendable {
    typealias Route = @Sendable (MemberAPI, [UInt8], Credentials) async throws(EtcdAPIError) -> [UInt8]

    let api: MemberAPI
    /// Puts are answered at once and stored nowhere (`EtcdAPIServerConfig.discardPuts`).
    var discardPuts = false

    static let routes: [String: Route] = [
        "/etcdserverpb.KV/Range": { api, bytes, credentials throws(EtcdAPIError) in
            try encoded(try await api.range(try decoded(bytes), credentials: credentials))
        },
        "/etcdserverpb.KV/Put": { api, bytes, credentials throws(EtcdAPIError) in
            try encoded(try await api.put(try decoded(bytes), credentials: credentials))
        },
        "/etcdserverpb.KV/DeleteRange": { api, bytes, credentials throws(EtcdAPIError) in
            try encoded(try await api.deleteRange(try decoded(bytes), credentials: credentials))
        },
        "/etcdserverpb.KV/Txn": { api, bytes, credentials throws(EtcdAPIError) in
            try encoded(try await api.txn(try decoded(bytes), credentials: credentials))
        },
        "/etcdserverpb.KV/Compact": { api, bytes, credentials throws(EtcdAPIError) in
            try encoded(try await api.compact(try decoded(bytes), credentials: credentials))
        },
    ]

    static func serves(_ path: String) -> Bool { routes[path] != nil }

    typealias Reply = @Sendable (Result<[UInt8], EtcdAPIError>) -> Void

    /// Calls `reply` with the serialized answer to the call on `path`, made as the user
    /// `credentials` names, or with the error to send as its status. A plain put, the hot
    /// path, is answered from the member's apply thread without a task; the rest run in one.
    func answer(_ path: String, request: [UInt8], credentials: Credentials, reply: @escaping Reply) {
        if path == Self.putPath && discardPuts {
            var discarded = Etcdserverpb_PutResponse()
            discarded.header = api.header(revision: 0, raftTerm: 0)
            return reply(Result { () throws(EtcdAPIError) in try Self.encoded(discarded) })
        }
        if path == Self.putPath {
            let put: Etcdserverpb_PutRequest
            do throws(EtcdAPIError) {
                put = try Self.decoded(request)
            } catch {
                return reply(.failure(error))
            }
            if !put.ignoreValue {
                api.put(put, credentials: credentials) { result in
                    reply(Result { () throws(EtcdAPIError) in try Self.encoded(try result.get()) })
                }
                return
            }
        }
        guard let route = Self.routes[path] else { return reply(.failure(.unimplemented(path))) }
        let api = api
        Task {
            do throws(EtcdAPIError) {
                reply(.success(try await route(api, request, credentials)))
            } catch {
                reply(.failure(error))
            }
        }
    }

    static let putPath = "/etcdserverpb.KV/Put"

    private static func decoded<M: SwiftProtobuf.Message>(_ bytes: [UInt8]) throws(EtcdAPIError) -> M {
        do {
            return try M(serializedBytes: bytes)
        } catch {
            throw .invalidArgument("could not decode the \(M.protoMessageName) request: \(error)")
        }
    }

    private static func encoded(_ message: some SwiftProtobuf.Message) throws(EtcdAPIError) -> [UInt8] {
        do {
            return try message.serializedBytes()
        } catch {
            throw .other("could not encode the \(type(of: message).protoMessageName) answer: \(error)")
        }
    }
}
