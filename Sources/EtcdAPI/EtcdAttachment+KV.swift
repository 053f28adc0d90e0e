import Cluster
import Foundation
import GRPCCore
import Raft

/// The attachment's own requests: puts timed into its latency recorder and remembered for the
/// view, reads and deletes, each sent to the leader.
extension EtcdAttachment {
    /// Puts `key` and records how long the cluster took to answer.
    public func put(key: String, value: [UInt8]) async -> Result<AttachedWrite, AttachedRequestError> {
        let index = target()
        var request = Etcdserverpb_PutRequest()
        request.key = Data(key.utf8)
        request.value = Data(value)
        let started = nowNanos()
        do {
            let response = try await Etcdserverpb_KV.Client(wrapping: clients[index]).put(request, options: callOptions)
            let now = nowNanos()
            let write = AttachedWrite(key: key, valueBytes: value.count, revision: response.header.revision,
                                      raftTerm: response.header.raftTerm, via: NodeID(index + 1),
                                      latencyMicros: (now - started) / 1000, atNanos: now)
            state.withLock { s in
                s.latency.record(micros: write.latencyMicros)
                s.putsAcknowledged += 1
                s.failures.succeeded()
                s.writes.insert(write, at: 0)
                if s.writes.count > Self.writesKept { s.writes.removeLast() }
            }
            return .success(write)
        } catch {
            let failure = Self.requestError(error)
            let now = nowNanos()
            state.withLock { s in
                s.latency.recordError()
                s.putsFailed += 1
                let via = "via m\(index + 1): \(failure.message)"
                s.failures.failed(via, atNanos: now, into: &s.events) { count in
                    count == 1 ? "put \(key) failed \(via)" : "\(count) puts failed \(via) (the last: \(key))"
                }
            }
            return .failure(failure)
        }
    }

    public func put(key: String, value: [UInt8], completion: @escaping @Sendable (Result<AttachedWrite, AttachedRequestError>) -> Void) {
        Task { completion(await put(key: key, value: value)) }
    }

    public func get(key: String) async -> Result<AttachedRead, AttachedRequestError> {
        let index = target()
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(key.utf8)
        do {
            let response = try await Etcdserverpb_KV.Client(wrapping: clients[index]).range(request, options: callOptions)
            let kv = response.kvs.first
            return .success(AttachedRead(value: kv.map { Array($0.value) }, modRevision: kv?.modRevision ?? 0,
                                         revision: response.header.revision, via: NodeID(index + 1)))
        } catch {
            return .failure(Self.requestError(error))
        }
    }

    public func get(key: String, completion: @escaping @Sendable (Result<AttachedRead, AttachedRequestError>) -> Void) {
        Task { completion(await get(key: key)) }
    }

    public func delete(key: String, completion: @escaping @Sendable (Result<Int64, AttachedRequestError>) -> Void) {
        let index = target()
        var request = Etcdserverpb_DeleteRangeRequest()
        request.key = Data(key.utf8)
        let client = clients[index]
        let options = callOptions
        Task {
            do {
                completion(.success(try await Etcdserverpb_KV.Client(wrapping: client).deleteRange(request, options: options).deleted))
            } catch {
                completion(.failure(Self.requestError(error)))
            }
        }
    }

    static func requestError(_ error: any Error) -> AttachedRequestError {
        if let rpc = error as? RPCError { return AttachedRequestError(RPCErrorText.short(code: rpc.code, message: rpc.message)) }
        return AttachedRequestError("\(error)")
    }
}
