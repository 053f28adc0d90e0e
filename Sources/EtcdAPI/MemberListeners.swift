import GRPCNIOTransportHTTP2Posix
import Locking
import Raft

/// The listeners of every member the API server serves, each member's in a task of its own, so
/// that a member removed from the cluster stops being served alone.
final class MemberListeners: Sendable {
    let transportConfig: HTTP2ServerTransport.Posix.Config
    let frontLimits: FrontLimits
    let sockets: PrivateSocketFolder

    private struct State {
        var tasks: [NodeID: Task<Void, Never>] = [:]
        /// Members whose ports could not be bound: not tried again.
        var unserved: Set<NodeID> = []
        var failure: (any Error)?
    }

    private let state = Locked(State())

    init(transportConfig: HTTP2ServerTransport.Posix.Config, frontLimits: FrontLimits, sockets: PrivateSocketFolder) {
        self.transportConfig = transportConfig
        self.frontLimits = frontLimits
        self.sockets = sockets
    }

    /// The members served, or given up on.
    var served: [NodeID] {
        state.withLock { Array($0.tasks.keys) + $0.unserved }
    }

    /// The first error a member's listener failed with after it was bound.
    var failure: (any Error)? {
        state.withLock { $0.failure }
    }

    /// Runs member `id`'s listeners: `bind` adds their serving to the group and returns where
    /// they listen, which this returns once bound; an error before that is thrown here, one
    /// after it is kept as `failure`. The listeners run until `stop(id)`.
    func run(_ id: NodeID, _ bind: @escaping @Sendable (inout ThrowingDiscardingTaskGroup<any Error>) async throws -> MemberEndpoint)
        async throws -> MemberEndpoint {
        let bound = Locked<CheckedContinuation<MemberEndpoint, any Error>?>(nil)
        return try await withCheckedThrowingContinuation { continuation in
            bound.withLock { $0 = continuation }
            let task = Task {
                do {
                    try await withThrowingDiscardingTaskGroup { group in
                        let endpoint = try await bind(&group)
                        bound.withLock { $0.take() }?.resume(returning: endpoint)
                    }
                } catch {
                    if let waiting = bound.withLock({ $0.take() }) {
                        waiting.resume(throwing: error)
                    } else if !Task.isCancelled {
                        state.withLock { if $0.failure == nil { $0.failure = error } }
                    }
                }
            }
            state.withLock { $0.tasks[id] = task }
        }
    }

    func markUnserved(_ id: NodeID) {
        state.withLock { s in
            s.tasks.removeValue(forKey: id)?.cancel()
            s.unserved.insert(id)
        }
    }

    /// Closes member `id`'s listeners.
    func stop(_ id: NodeID) {
        state.withLock { s in
            s.tasks.removeValue(forKey: id)?.cancel()
            s.unserved.remove(id)
        }
    }

    /// Closes every listener and waits until they are closed.
    func stopAll() async {
        let tasks = state.withLock { s in
            defer { s.tasks = [:] }
            return Array(s.tasks.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
