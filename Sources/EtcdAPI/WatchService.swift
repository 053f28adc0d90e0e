import GRPCCore

/// etcd's Watch service over gRPC: one bidirectional stream carries many watchers.
struct WatchService: Etcdserverpb_Watch.SimpleServiceProtocol {
    let api: MemberAPI
    /// How often a stream looks for new events in the store.
    static let pollInterval = Duration.milliseconds(5)

    func watch(request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
               response: RPCWriter<Etcdserverpb_WatchResponse>, context: ServerContext) async throws {
        let (outbox, continuation) = AsyncStream.makeStream(of: Etcdserverpb_WatchResponse.self)
        let session = WatchSession(api: api, member: try api.member(), outbox: continuation)
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
