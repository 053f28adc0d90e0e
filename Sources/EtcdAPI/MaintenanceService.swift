import GRPCCore

/// etcd's Maintenance service over gRPC: Status, Alarm and MoveLeader; the rest concern a
/// database file this store does not have.
struct MaintenanceService: Etcdserverpb_Maintenance.SimpleServiceProtocol {
    let api: MemberAPI

    func status(request: Etcdserverpb_StatusRequest, context: ServerContext) async throws -> Etcdserverpb_StatusResponse {
        try api.status()
    }

    func alarm(request: Etcdserverpb_AlarmRequest, context: ServerContext) async throws -> Etcdserverpb_AlarmResponse {
        try api.alarm(request)
    }

    func moveLeader(request: Etcdserverpb_MoveLeaderRequest, context: ServerContext) async throws -> Etcdserverpb_MoveLeaderResponse {
        try await api.moveLeader(request)
    }

    func defragment(request: Etcdserverpb_DefragmentRequest, context: ServerContext) async throws -> Etcdserverpb_DefragmentResponse {
        throw EtcdAPIError.unimplemented("Maintenance.Defragment")
    }

    func hash(request: Etcdserverpb_HashRequest, context: ServerContext) async throws -> Etcdserverpb_HashResponse {
        throw EtcdAPIError.unimplemented("Maintenance.Hash")
    }

    func hashKV(request: Etcdserverpb_HashKVRequest, context: ServerContext) async throws -> Etcdserverpb_HashKVResponse {
        throw EtcdAPIError.unimplemented("Maintenance.HashKV")
    }

    func snapshot(request: Etcdserverpb_SnapshotRequest, response: RPCWriter<Etcdserverpb_SnapshotResponse>,
                  context: ServerContext) async throws {
        throw EtcdAPIError.unimplemented("Maintenance.Snapshot")
    }
}
