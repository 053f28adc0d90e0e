import Cluster
import Foundation
import GRPCCore
import Raft

extension LaunchedEtcdCluster {
    /// `key` as one member has applied it (a serializable Range answered from its own store,
    /// without asking the leader): nil when it has no such key.
    public func localValue(of key: String, on id: NodeID) async -> Result<[UInt8]?, AttachedRequestError> {
        guard Int(id) >= 1, Int(id) <= processes.count else { return .failure(AttachedRequestError("no member \(id)")) }
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(key.utf8)
        request.serializable = true
        do {
            let response = try await Etcdserverpb_KV.Client(wrapping: attachment.clients[Int(id) - 1]).range(request, options: attachment.callOptions)
            return .success(response.kvs.first.map { Array($0.value) })
        } catch {
            return .failure(EtcdAttachment.requestError(error))
        }
    }
}
