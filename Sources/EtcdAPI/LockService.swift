import GRPCCore

/// etcd's Lock service over gRPC. Each call runs as the user of the `token` in its metadata.
struct LockService: V3lockpb_Lock.ServiceProtocol {
    let api: MemberAPI

    func lock(request: ServerRequest<V3lockpb_LockRequest>, context: ServerContext) async throws
        -> ServerResponse<V3lockpb_LockResponse> {
        let credentials = request.metadata.credentials
        return ServerResponse(message: try await untilRPCCancelled { [api] in
            try await api.lock(request.message, credentials: credentials)
        })
    }

    func unlock(request: ServerRequest<V3lockpb_UnlockRequest>, context: ServerContext) async throws
        -> ServerResponse<V3lockpb_UnlockResponse> {
        ServerResponse(message: try await api.unlock(request.message, credentials: request.metadata.credentials))
    }
}
