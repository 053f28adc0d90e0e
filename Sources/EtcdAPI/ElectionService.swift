import GRPCCore

/// etcd's Election service over gRPC. Each call runs as the user of the `token` in its metadata.
struct ElectionService: V3electionpb_Election.ServiceProtocol {
    let api: MemberAPI

    func campaign(request: ServerRequest<V3electionpb_CampaignRequest>, context: ServerContext) async throws
        -> ServerResponse<V3electionpb_CampaignResponse> {
        let credentials = request.metadata.credentials
        return ServerResponse(message: try await untilRPCCancelled { [api] in
            try await api.campaign(request.message, credentials: credentials)
        })
    }

    func proclaim(request: ServerRequest<V3electionpb_ProclaimRequest>, context: ServerContext) async throws
        -> ServerResponse<V3electionpb_ProclaimResponse> {
        ServerResponse(message: try await api.proclaim(request.message, credentials: request.metadata.credentials))
    }

    func leader(request: ServerRequest<V3electionpb_LeaderRequest>, context: ServerContext) async throws
        -> ServerResponse<V3electionpb_LeaderResponse> {
        ServerResponse(message: try await api.leader(request.message, credentials: request.metadata.credentials))
    }

    /// Streams the leader's values until the client goes away.
    func observe(request: ServerRequest<V3electionpb_LeaderRequest>, context: ServerContext) async throws
        -> StreamingServerResponse<V3electionpb_LeaderResponse> {
        let credentials = request.metadata.credentials
        return StreamingServerResponse { [api] writer in
            try await untilRPCCancelled {
                try await api.observe(request.message, credentials: credentials) { response async throws(EtcdAPIError) in
                    do {
                        try await writer.write(response)
                    } catch {
                        throw .cancelled
                    }
                }
            }
            return [:]
        }
    }

    func resign(request: ServerRequest<V3electionpb_ResignRequest>, context: ServerContext) async throws
        -> ServerResponse<V3electionpb_ResignResponse> {
        ServerResponse(message: try await api.resign(request.message, credentials: request.metadata.credentials))
    }
}
