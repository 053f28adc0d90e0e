import GRPCCore
import Server

/// etcd's Lease service over gRPC. Each call runs as the user of the `token` in its metadata;
/// LeaseKeepAlive is a stream on which every request is answered in turn.
struct LeaseService: Etcdserverpb_Lease.ServiceProtocol {
    let api: MemberAPI

    func leaseGrant(request: ServerRequest<Etcdserverpb_LeaseGrantRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_LeaseGrantResponse> {
        ServerResponse(message: try await api.leaseGrant(request.message, credentials: request.metadata.credentials))
    }

    func leaseRevoke(request: ServerRequest<Etcdserverpb_LeaseRevokeRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_LeaseRevokeResponse> {
        ServerResponse(message: try await api.leaseRevoke(request.message, credentials: request.metadata.credentials))
    }

    func leaseKeepAlive(request: StreamingServerRequest<Etcdserverpb_LeaseKeepAliveRequest>, context: ServerContext) async throws
        -> StreamingServerResponse<Etcdserverpb_LeaseKeepAliveResponse> {
        StreamingServerResponse { writer in
            // As in etcd, the stream ends when the client stops sending.
            for try await message in request.messages {
                try await writer.write(try await api.leaseKeepAlive(message))
            }
            return [:]
        }
    }

    func leaseTimeToLive(request: ServerRequest<Etcdserverpb_LeaseTimeToLiveRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_LeaseTimeToLiveResponse> {
        ServerResponse(message: try await api.leaseTimeToLive(request.message))
    }

    func leaseLeases(request: ServerRequest<Etcdserverpb_LeaseLeasesRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_LeaseLeasesResponse> {
        ServerResponse(message: try api.leaseLeases())
    }
}
