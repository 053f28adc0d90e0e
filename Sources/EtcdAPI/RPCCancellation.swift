import GRPCCore

/// Runs `call`, a call that may wait for minutes (Lock, Campaign, Observe), until it returns or
/// its RPC is cancelled: grpc-swift tells a handler that its client reset the stream or went
/// away through the RPC's cancellation handle, not by cancelling the handler's task. Cancelling
/// `call`'s task ends its wait, which removes its watch and cleans up as etcd does.
func untilRPCCancelled<Result: Sendable>(_ call: @escaping @Sendable () async throws -> Result) async throws -> Result {
    let task = Task { try await call() }
    return try await withRPCCancellationHandler {
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    } onCancelRPC: {
        task.cancel()
    }
}
