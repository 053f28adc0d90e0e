import GRPCCore
import Server

/// etcd's Watch service over gRPC: one bidirectional stream carries many watchers, all for the
/// user of the stream's token, who needs read permission on each watched range.
struct WatchService: Etcdserverpb_Watch.ServiceProtocol {
    let api: MemberAPI
    /// How often a stream looks for new events in the store.
    static let pollInterval = Duration.milliseconds(5)

    func watch(request: StreamingServerRequest<Etcdserverpb_WatchRequest>, context: ServerContext) async throws
        -> StreamingServerResponse<Etcdserverpb_WatchResponse> {
        let member = try api.member()
        let username: String
        do throws(AuthError) {
            username = try member.authInfo(request.metadata.credentials).username
        } catch {
            throw EtcdAPIError.auth(error)
        }
        return StreamingServerResponse { writer in
            try await run(request.messages, writer, member: member, username: username)
            return [:]
        }
    }

    private func run(_ request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
                     _ response: RPCWriter<Etcdserverpb_WatchResponse>, member: Member, username: String) async throws {
        let (outbox, continuation) = AsyncStream.makeStream(of: Etcdserverpb_WatchResponse.self)
        let session = WatchSession(api: api, member: member, username: username, outbox: continuation)
        defer { session.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // As in etcd, the stream ends when the client stops sending.
            group.addTask {
                for try await message in request { session.handle(message) }
            }
            group.addTask {
                while true {
                    guard session.poll() else { throw EtcdAPIError.stopped }
                    try await Task.sleep(for: Self.pollInterval)
                }
            }
            group.addTask {
                for await message in outbox {
                    try await response.write(message)
                    session.sent()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
