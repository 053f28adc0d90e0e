import GRPCCore
import Server

/// etcd's KV service over gRPC. Each call runs as the user of the `token` in its metadata.
struct KVService: Etcdserverpb_KV.ServiceProtocol {
    let api: MemberAPI

    func range(request: ServerRequest<Etcdserverpb_RangeRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_RangeResponse> {
        ServerResponse(message: try await api.range(request.message, credentials: request.metadata.credentials))
    }

    func put(request: ServerRequest<Etcdserverpb_PutRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_PutResponse> {
        ServerResponse(message: try await api.put(request.message, credentials: request.metadata.credentials))
    }

    func deleteRange(request: ServerRequest<Etcdserverpb_DeleteRangeRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_DeleteRangeResponse> {
        ServerResponse(message: try await api.deleteRange(request.message, credentials: request.metadata.credentials))
    }

    func txn(request: ServerRequest<Etcdserverpb_TxnRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_TxnResponse> {
        ServerResponse(message: try await api.txn(request.message, credentials: request.metadata.credentials))
    }

    func compact(request: ServerRequest<Etcdserverpb_CompactionRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_CompactionResponse> {
        ServerResponse(message: try await api.compact(request.message, credentials: request.metadata.credentials))
    }
}

extension Metadata {
    /// etcd's metadata key for the token from Authenticate (rpctypes.TokenFieldNameGRPC).
    static let tokenKey = "token"

    /// The caller's token, if it sent one.
    var credentials: Credentials {
        for token in self[stringValues: Self.tokenKey] { return .token(token) }
        return .none
    }
}
