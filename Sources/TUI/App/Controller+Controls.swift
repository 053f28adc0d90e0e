import Cluster

/// Member and network actions on real etcd members rafttop launched: carried out through the
/// cluster's `ExternalControls` (signals, peer proxies, MoveLeader) and reported like the
/// built-in cluster's.
extension Controller {
    /// Carries out `action` when it is one the controls handle; false for every other action.
    func control(_ action: Action, _ controls: any ExternalControls) -> Bool {
        switch action {
        case .kill(let target): onMember(target, controls, "kill") { id in try controls.kill(id); return "member \(id) killed (SIGKILL)" }
        case .restart(let target): onMember(target, controls, "restart") { id in
            try controls.restart(id)
            return "member \(id) restarted on its data directory"
        }
        case .pause(let target): onMember(target, controls, "pause") { id in try controls.pause(id); return "member \(id) paused (SIGSTOP)" }
        case .resume(let target): onMember(target, controls, "resume") { id in try controls.resume(id); return "member \(id) resumed (SIGCONT)" }
        case .togglePause(let target): onMember(target, controls, "pause") { id in
            if controls.isPaused(id) {
                try controls.resume(id)
                return "member \(id) resumed (SIGCONT)"
            }
            try controls.pause(id)
            return "member \(id) paused (SIGSTOP)"
        }
        case .isolate(let target): onMember(target, controls, "isolate") { id in try controls.isolate(id); return "member \(id) isolated" }
        case .transfer(let target): onMember(target, controls, "transfer to") { id in
            let inbox = self.inbox
            controls.transferLeadership(to: id) { result in
                switch result {
                case .success(let leader): inbox.post(StatusMessage("member \(leader) leads (MoveLeader)"))
                case .failure(let error): inbox.post(StatusMessage("transfer to member \(id): \(error)", kind: .error))
                }
            }
            return "leadership transfer to member \(id) requested"
        }
        case .partition(let groups):
            do {
                try controls.partition(groups)
                report("partitioned: " + groups.map { $0.map(String.init).joined(separator: ",") }.joined(separator: " | "))
            } catch {
                report("partition: \(error)", .error)
            }
        case .heal:
            controls.heal()
            report("network healed")
        case .setLatency(let millis):
            controls.setLatency(millis: millis)
            report("peer link latency \(Format.millis(millis)) ms")
        case .setLoss(let percent):
            controls.setLoss(percent: percent)
            report("peer link loss \(Format.millis(percent))% (a chunk lost cuts its connection)")
        default:
            return false
        }
        return true
    }

    private func onMember(_ target: MemberTarget, _ controls: any ExternalControls, _ verb: String,
                          _ body: (NodeID) throws -> String) {
        let id: NodeID
        switch target {
        case .selected: id = state.selected
        case .member(let n): id = n
        case .leader:
            guard let leader = controls.leader else { return report("no leader to \(verb)", .warning) }
            id = leader
        }
        do {
            report(try body(id))
        } catch {
            report("\(verb) member \(id): \(error)", .error)
        }
    }
}
