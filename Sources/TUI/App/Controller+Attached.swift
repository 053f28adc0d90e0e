import Cluster

/// Actions on an external cluster: puts, reads, deletes and the load go to it over its client
/// API; what only an in-process cluster allows is answered in the status line.
extension Controller {
    func apply(_ action: Action, to external: any AttachedCluster) {
        if let controls = external.controls, control(action, controls) { return }
        switch action {
        case .quit, .toggleHelp, .dismiss, .openCommandLine, .redraw, .cycleTheme, .setTheme, .selectTrace, .cycleDetailPane, .select,
             .pinTrace, .moveSelection, .openSelected, .click, .tour:
            break
        case .putRandom:
            let key = "k\(Int.random(in: 0..<1000, using: &random))"
            put(key: key, value: randomValue(bytes: 256), on: external)
        case .put(let key, let value, 0): put(key: key, value: Array(value.utf8), on: external)
        case .put, .lease: refuse("use leases (etcdctl lease can)")
        case .get(let key): get(key, from: external)
        case .delete(let key): delete(key, on: external)
        case .toggleLoad: setLoad(running: !state.loadRunning, rate: state.loadRate, on: external)
        case .changeLoadRate(let faster): setLoad(running: state.loadRunning, rate: step(Self.loadRates, from: state.loadRate, up: faster), on: external)
        case .setLoadRate(let rate): setLoad(running: rate > 0, rate: rate > 0 ? rate : state.loadRate, on: external)
        case .resetLatency:
            external.resetLatency()
            report("latency statistics reset")
        case .kill: refuse("kill members")
        case .restart: refuse("restart members")
        case .pause, .resume, .togglePause: refuse("pause members")
        case .isolate: refuse("isolate members")
        case .transfer: refuse("transfer leadership (etcdctl move-leader can)")
        case .partition, .heal: refuse("partition or heal its network")
        case .addMember, .removeMember, .promote: refuse("change its members (etcdctl member can)")
        case .togglePauseAll, .step: refuse("pause or single-step it")
        case .changeSpeed, .setSpeed: refuse("change its speed")
        case .setLatency, .setLoss: refuse("change its network")
        case .setUser, .auth: refuse("act as a user or set up auth (etcdctl --user and etcdctl auth can)")
        case .setDiskDelay: refuse("slow its disks")
        case .stopOn: refuse("stop on an election (it runs in real time)")
        }
    }

    private func refuse(_ what: String) {
        report("attached to an external etcd cluster: rafttop cannot \(what) (puts, get, del and load work)", .warning)
    }

    private func put(key: String, value: [UInt8], on external: any AttachedCluster) {
        let inbox = self.inbox
        report("put \(key) (\(value.count) B) sent")
        external.put(key: key, value: value) { result in
            switch result {
            case .success(let write):
                inbox.post(StatusMessage("put \(key): revision \(write.revision), term \(write.raftTerm), via m\(write.via), "
                                         + "\(Format.millis(micros: write.latencyMicros)) ms"))
            case .failure(let error):
                inbox.post(StatusMessage("put \(key) failed: \(error)", kind: .error))
            }
        }
    }

    private func get(_ key: String, from external: any AttachedCluster) {
        let inbox = self.inbox
        external.get(key: key) { result in
            switch result {
            case .success(let read):
                guard let value = read.value else {
                    return inbox.post(StatusMessage("\(key) not found (m\(read.via) at revision \(read.revision))", kind: .warning))
                }
                let shown = String(decoding: value.prefix(60), as: UTF8.self)
                inbox.post(StatusMessage("\(key) = \(shown)\(value.count > 60 ? "…" : "") (\(value.count) B, mod revision \(read.modRevision), from m\(read.via))"))
            case .failure(let error):
                inbox.post(StatusMessage("get \(key): \(error)", kind: .error))
            }
        }
    }

    private func delete(_ key: String, on external: any AttachedCluster) {
        let inbox = self.inbox
        report("del \(key) sent")
        external.delete(key: key) { result in
            switch result {
            case .success(let deleted): inbox.post(StatusMessage("del \(key): \(deleted) deleted"))
            case .failure(let error): inbox.post(StatusMessage("del \(key) failed: \(error)", kind: .error))
            }
        }
    }

    private func setLoad(running: Bool, rate: Double, on external: any AttachedCluster) {
        state.loadRate = rate
        state.loadRunning = running
        guard running else {
            external.stopLoad()
            return report("load stopped")
        }
        let clients = external.startLoad(rate: rate)
        report("load: \(Format.millis(rate)) puts/s from \(clients) client\(clients == 1 ? "" : "s")")
    }
}
