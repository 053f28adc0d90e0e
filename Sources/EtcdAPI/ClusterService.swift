import GRPCCore
import Server

/// etcd's Cluster service over gRPC: MemberList, and MemberAdd, MemberRemove, MemberUpdate and
/// MemberPromote, each one configuration change through Raft. Changes run as the user of the
/// call's token.
struct ClusterService: Etcdserverpb_Cluster.ServiceProtocol {
    let api: MemberAPI

    private func serve<Request: Sendable, Response: Sendable>(
        _ request: ServerRequest<Request>,
        _ call: (Request, Credentials) async throws(EtcdAPIError) -> Response
    ) async throws -> ServerResponse<Response> {
        ServerResponse(message: try await call(request.message, request.metadata.credentials))
    }

    func memberList(request: ServerRequest<Etcdserverpb_MemberListRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_MemberListResponse> {
        ServerResponse(message: try api.memberList())
    }

    func memberAdd(request: ServerRequest<Etcdserverpb_MemberAddRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_MemberAddResponse> {
        try await serve(request, api.memberAdd)
    }

    func memberRemove(request: ServerRequest<Etcdserverpb_MemberRemoveRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_MemberRemoveResponse> {
        try await serve(request, api.memberRemove)
    }

    func memberUpdate(request: ServerRequest<Etcdserverpb_MemberUpdateRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_MemberUpdateResponse> {
        try await serve(request, api.memberUpdate)
    }

    func memberPromote(request: ServerRequest<Etcdserverpb_MemberPromoteRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_MemberPromoteResponse> {
        try await serve(request, api.memberPromote)
    }
}
