import Cluster
import Foundation
import GRPCCore
import Raft

/// The member and network controls on launched etcd: signals to the processes, cuts, delay and
/// loss in the peer proxies, and MoveLeader through the client API. Each is noted in the events pane.
extension LaunchedEtcdCluster {
    public var leader: NodeID? { attachment.members.first { $0.isLeader && $0.reachable }?.id }

    public func isPaused(_ id: NodeID) -> Bool { (try? process(id))?.isPaused ?? false }

    public func kill(_ id: NodeID) throws(AttachedRequestError) {
        let member = try process(id)
        guard member.isRunning else { throw AttachedRequestError("member \(id) is not running") }
        member.kill()
        attachment.note("m\(id) killed (SIGKILL)")
    }

    public func restart(_ id: NodeID) throws(AttachedRequestError) {
        let member = try process(id)
        guard !member.isRunning else { throw AttachedRequestError("member \(id) is running: kill it first") }
        do {
            try member.start()
        } catch {
            throw AttachedRequestError("\(error)")
        }
        attachment.note("m\(id) restarted on its data directory")
    }

    public func pause(_ id: NodeID) throws(AttachedRequestError) {
        let member = try running(id)
        guard !member.isPaused else { throw AttachedRequestError("member \(id) is already paused") }
        member.pause()
        attachment.note("m\(id) paused (SIGSTOP)")
    }

    public func resume(_ id: NodeID) throws(AttachedRequestError) {
        let member = try running(id)
        guard member.isPaused else { throw AttachedRequestError("member \(id) is not paused") }
        member.resume()
        attachment.note("m\(id) resumed (SIGCONT)")
    }

    public func isolate(_ id: NodeID) throws(AttachedRequestError) {
        _ = try process(id)
        changeFaults { f in for other in processes.map(\.id) { f.cut(id, other) } }
        attachment.note("m\(id) isolated: its peer links are cut")
    }

    public func partition(_ groups: [[NodeID]]) throws(AttachedRequestError) {
        let ids = processes.map(\.id)
        for id in groups.joined() where !ids.contains(id) { throw AttachedRequestError("no member \(id) (members are 1-\(ids.count))") }
        let rest = ids.filter { !groups.joined().contains($0) }
        let all = groups + (rest.isEmpty ? [] : [rest])
        changeFaults { f in
            f.heal()
            for (i, a) in all.enumerated() {
                for b in all[(i + 1)...] {
                    for x in a { for y in b { f.cut(x, y) } }
                }
            }
        }
        attachment.note("partitioned: " + all.map { $0.map { "m\($0)" }.joined(separator: ",") }.joined(separator: " | "))
    }

    public func heal() {
        changeFaults { $0.heal() }
        attachment.note("network healed: every peer link open")
    }

    public func setLatency(millis: Double) {
        changeFaults { $0.latencyMillis = max(0, millis) }
        attachment.note("peer links delay \(millis) ms each way")
    }

    public func setLoss(percent: Double) {
        changeFaults { $0.lossPercent = min(100, max(0, percent)) }
        attachment.note("peer links cut a connection on \(percent)% of chunks")
    }

    public func transferLeadership(to id: NodeID, completion: @escaping @Sendable (Result<NodeID, AttachedRequestError>) -> Void) {
        let members = attachment.members
        guard Int(id) >= 1, Int(id) <= members.count else { return completion(.failure(AttachedRequestError("no member \(id)"))) }
        guard let leader = members.first(where: { $0.isLeader && $0.reachable }) else {
            return completion(.failure(AttachedRequestError("no leader to transfer from")))
        }
        guard leader.id != id else { return completion(.failure(AttachedRequestError("member \(id) is already the leader"))) }
        let target = members[Int(id) - 1].memberID
        guard target != 0 else { return completion(.failure(AttachedRequestError("member \(id) has not answered yet: its etcd ID is unknown"))) }
        var request = Etcdserverpb_MoveLeaderRequest()
        request.targetID = target
        let client = attachment.clients[Int(leader.id) - 1]
        var options = CallOptions.defaults
        options.timeout = .seconds(10)
        let attachment = attachment
        Task {
            do {
                _ = try await Etcdserverpb_Maintenance.Client(wrapping: client).moveLeader(request, options: options)
                attachment.note("leadership moved from m\(leader.id) to m\(id) (MoveLeader)")
                completion(.success(id))
            } catch {
                completion(.failure(EtcdAttachment.requestError(error)))
            }
        }
    }

    private func process(_ id: NodeID) throws(AttachedRequestError) -> EtcdProcess {
        guard Int(id) >= 1, Int(id) <= processes.count else {
            throw AttachedRequestError("no member \(id) (members are 1-\(processes.count))")
        }
        return processes[Int(id) - 1]
    }

    private func running(_ id: NodeID) throws(AttachedRequestError) -> EtcdProcess {
        let member = try process(id)
        guard member.isRunning else { throw AttachedRequestError("member \(id) is not running") }
        return member
    }
}
