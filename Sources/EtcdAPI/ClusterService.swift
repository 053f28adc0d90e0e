import GRPCCore

/// etcd's Cluster service over gRPC. The membership is fixed, so only MemberList is served.
struct ClusterService: Etcdserverpb_Cluster.SimpleServiceProtocol {
    let api: MemberAPI

    func memberList(request: Etcdserverpb_MemberListRequest, context: ServerContext) async throws -> Etcdserverpb_MemberListResponse {
        try api.memberList()
    }

    func memberAdd(request: Etcdserverpb_MemberAddRequest, context: ServerContext) async throws -> Etcdserverpb_MemberAddResponse {
        throw EtcdAPIError.unimplemented("Cluster.MemberAdd")
    }

    func memberRemove(request: Etcdserverpb_MemberRemoveRequest, context: ServerContext) async throws -> Etcdserverpb_MemberRemoveResponse {
        throw EtcdAPIError.unimplemented("Cluster.MemberRemove")
    }

    func memberUpdate(request: Etcdserverpb_MemberUpdateRequest, context: ServerContext) async throws -> Etcdserverpb_MemberUpdateResponse {
        throw EtcdAPIError.unimplemented("Cluster.MemberUpdate")
    }

    func memberPromote(request: Etcdserverpb_MemberPromoteRequest, context: ServerContext) async throws -> Etcdserverpb_MemberPromoteResponse {
        throw EtcdAPIError.unimplemented("Cluster.MemberPromote")
    }
}
