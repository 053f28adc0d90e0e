import Foundation
import GRPCCore
import Server

/// etcd's Maintenance service over gRPC. Calls that etcd allows only an admin when auth is on
/// (Hash, HashKV, Defragment, Snapshot) run as the user of the `token` in their metadata.
struct MaintenanceService: Etcdserverpb_Maintenance.ServiceProtocol {
    let api: MemberAPI

    func status(request: ServerRequest<Etcdserverpb_StatusRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_StatusResponse> {
        ServerResponse(message: try api.status())
    }

    func alarm(request: ServerRequest<Etcdserverpb_AlarmRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AlarmResponse> {
        ServerResponse(message: try await api.alarm(request.message, credentials: request.metadata.credentials))
    }

    func moveLeader(request: ServerRequest<Etcdserverpb_MoveLeaderRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_MoveLeaderResponse> {
        ServerResponse(message: try await api.moveLeader(request.message))
    }

    func defragment(request: ServerRequest<Etcdserverpb_DefragmentRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_DefragmentResponse> {
        ServerResponse(message: try api.defragment(credentials: request.metadata.credentials))
    }

    func hash(request: ServerRequest<Etcdserverpb_HashRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_HashResponse> {
        ServerResponse(message: try api.hash(credentials: request.metadata.credentials))
    }

    func hashKV(request: ServerRequest<Etcdserverpb_HashKVRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_HashKVResponse> {
        ServerResponse(message: try api.hashKV(request.message, credentials: request.metadata.credentials))
    }

    /// Streams a snapshot file's body in etcd's 32 KiB chunks, each with the bytes still to come,
    /// then its sha256 in a message of its own, as etcd 3.4 does. The body is encoded as the
    /// stream goes, a piece at a time, so a slow client holds back the encoding rather than
    /// making the member hold the whole body.
    func snapshot(request: ServerRequest<Etcdserverpb_SnapshotRequest>, context: ServerContext) async throws
        -> StreamingServerResponse<Etcdserverpb_SnapshotResponse> {
        let (body, hold) = try api.snapshotBody(credentials: request.metadata.credentials)
        return StreamingServerResponse { writer in
            // The member counts this snapshot as running until the stream lets the hold go.
            defer { withExtendedLifetime(hold) {} }
            var body = body
            var pending: [UInt8] = []
            var sent = 0
            func send(_ bytes: ArraySlice<UInt8>) async throws {
                var chunk = Etcdserverpb_SnapshotResponse()
                chunk.blob = Data(bytes)
                sent += bytes.count
                chunk.remainingBytes = UInt64(body.bodyBytes - sent)
                try await writer.write(chunk)
            }
            while let piece = body.next() {
                pending.append(contentsOf: piece)
                var start = 0
                while pending.count - start >= SnapshotFile.chunkBytes {
                    try await send(pending[start..<(start + SnapshotFile.chunkBytes)])
                    start += SnapshotFile.chunkBytes
                }
                pending.removeFirst(start)
            }
            if !pending.isEmpty { try await send(pending[...]) }
            var digest = Etcdserverpb_SnapshotResponse()
            digest.blob = Data(body.digest)
            try await writer.write(digest)
            return [:]
        }
    }
}
