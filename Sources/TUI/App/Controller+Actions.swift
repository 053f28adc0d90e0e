import Cluster

extension Controller {
    /// Carries out one action. Nothing here waits for the cluster.
    public func apply(_ action: Action) {
        if applyToScreen(action) { return }
        // An action can change a frozen cluster (a kill, a put): the next frame shows it.
        frozenSnapshot = nil
        switch source {
        case .inProcess(let cluster): apply(action, to: cluster)
        case .attached(let external): apply(action, to: external)
        }
    }

    /// Actions on the screen itself, the same whatever it shows; false for the others.
    private func applyToScreen(_ action: Action) -> Bool {
        switch action {
        case .quit: state.quitRequested = true
        case .toggleHelp:
            state.helpVisible.toggle()
            (state.helpPage, state.helpScroll) = (.index, 0)
        case .dismiss:
            state.helpVisible = false
            state.status = nil
            unpinTrace()
        case .openCommandLine:
            state.commandLineOpen = true
            state.helpVisible = false
        case .redraw: break
        case .cycleTheme:
            guard let next = themes.name(after: state.themeName) else {
                report("no theme files found", .warning)
                return true
            }
            setTheme(next)
        case .setTheme(let name): setTheme(name)
        case .selectTrace(let older): pinNeighbour(older: older)
        case .cycleDetailPane: cycleFocus()
        case .pinTrace(let what): pinTrace(what)
        case .moveSelection(let up): moveSelection(up: up)
        case .openSelected: openSelected()
        case .click(let x, let y): click(x: x, y: y)
        case .select(let id):
            guard (1...source.memberCount).contains(Int(id)) else {
                report("there is no member \(id): members are 1 to \(source.memberCount)", .error)
                return true
            }
            state.selected = id
            report("member \(id) selected")
        case .tour(let kind): startTour(kind)
        default: return false
        }
        return true
    }

    private func apply(_ action: Action, to cluster: Cluster) {
        switch action {
        case .quit, .toggleHelp, .dismiss, .openCommandLine, .redraw, .cycleTheme, .setTheme, .selectTrace, .cycleDetailPane, .select,
             .pinTrace, .moveSelection, .openSelected, .click, .tour:
            break
        case .putRandom:
            let key = "k\(Int.random(in: 0..<1000, using: &random))"
            put(key: key, value: randomValue(bytes: 256), on: cluster)
        case .put(let key, let value, let lease): put(key: key, value: Array(value.utf8), lease: lease, on: cluster)
        case .lease(let command): runLease(command, on: cluster)
        case .get(let key): get(key, from: cluster)
        case .delete(let key): delete(key, on: cluster)
        case .setUser(let user):
            state.user = user
            report(user.map { "puts, gets and dels now run as \($0)" } ?? "puts, gets and dels now run as no user")
        case .auth(let command): runAuth(command, on: cluster)
        case .toggleLoad: setLoad(running: !state.loadRunning, rate: state.loadRate, on: cluster)
        case .changeLoadRate(let faster): setLoad(running: state.loadRunning, rate: step(Self.loadRates, from: state.loadRate, up: faster), on: cluster)
        case .setLoadRate(let rate): setLoad(running: rate > 0, rate: rate > 0 ? rate : state.loadRate, on: cluster)
        case .kill(let target): member(target, cluster, "kill") { id in try cluster.crash(id); return "member \(id) killed" }
        case .restart(let target): member(target, cluster, "restart") { id in
            guard cluster.memberState(id) == .down else { return "member \(id) is not down" }
            try cluster.restart(id)
            return "member \(id) restarted from its data"
        }
        case .pause(let target): member(target, cluster, "pause") { id in
            if let unchanged = unchangedByPause(id, cluster) { throw unchanged }
            try cluster.pause(id)
            return "member \(id) paused"
        }
        case .resume(let target): member(target, cluster, "resume") { id in
            if let unchanged = unchangedByResume(id, cluster) { throw unchanged }
            try cluster.resume(id)
            return "member \(id) resumed"
        }
        case .togglePause(let target): member(target, cluster, "pause") { id in
            if cluster.memberState(id) == .paused {
                try cluster.resume(id)
                return "member \(id) resumed"
            }
            try cluster.pause(id)
            return "member \(id) paused"
        }
        case .isolate(let target): member(target, cluster, "isolate") { id in cluster.isolate(id); return "member \(id) isolated" }
        case .transfer(let target): member(target, cluster, "transfer to") { id in
            guard cluster.leader != nil else { return "no leader to transfer from" }
            if cluster.leader == id { throw NothingHappened("member \(id) is already the leader: nothing to transfer") }
            try cluster.transferLeadership(to: id)
            return "leadership transfer to member \(id) requested"
        }
        case .partition(let groups):
            cluster.partition(groups)
            report("partitioned: " + groups.map { $0.map(String.init).joined(separator: ",") }.joined(separator: " | "))
        case .heal:
            cluster.heal()
            report("network healed")
        case .addMember(let learner):
            let what = learner ? "member add --learner" : "member add"
            changeMembership(what) { cluster.addMember(isLearner: learner, completion: $0) }
            report("\(what) proposed")
        case .removeMember(let target): member(target, cluster, "remove") { id in
            changeMembership("member remove \(id)") { cluster.removeMember(id, completion: $0) }
            return "member remove \(id) proposed"
        }
        case .promote(let target): member(target, cluster, "promote") { id in
            changeMembership("promote \(id)") { cluster.promoteMember(id, completion: $0) }
            return "promote \(id) proposed"
        }
        case .togglePauseAll: setPaused(!state.paused, cluster)
        case .step: singleStep(cluster)
        case .changeSpeed(let faster):
            setSpeed(step(state.simulated ? Self.speedsSimulated : Self.speedsRealTime, from: state.speed, up: faster), cluster)
        case .setSpeed(let speed): setSpeed(speed, cluster)
        case .setLatency(let millis):
            baseNetwork.latencyMicros = UInt64(millis * 1000)
            applyNetwork(cluster)
            report("network latency \(Format.millis(millis)) ms")
        case .setLoss(let percent):
            baseNetwork.lossRate = percent / 100
            applyNetwork(cluster)
            report("network loss \(Format.millis(percent))%")
        case .resetLatency:
            cluster.resetLatency()
            report("latency statistics reset")
        case .setDiskDelay(let id, let millis): setDiskDelay(id, millis: millis, cluster)
        case .stopOn(let condition): stopOn(condition, cluster)
        }
    }

    private func member(_ target: MemberTarget, _ cluster: Cluster, _ verb: String, _ body: (NodeID) throws -> String) {
        let id: NodeID
        switch target {
        case .selected: id = state.selected
        case .member(let n): id = n
        case .leader:
            guard let leader = cluster.leader else { return report("no leader to \(verb)", .warning) }
            id = leader
        }
        do {
            report(try body(id))
        } catch let unchanged as NothingHappened {
            report(unchanged.message, .warning)
        } catch {
            report("\(verb) member \(id): \(error)", .error)
        }
    }

    /// A membership change: proposed now, reported on the status line when applied.
    private func changeMembership(_ what: String, _ start: (@escaping MembershipCompletion) -> Void) {
        let inbox = self.inbox
        start { result in
            switch result {
            case .success(let change):
                let kind = change.changedMember.isLearner ? "learner" : "voter"
                inbox.post(StatusMessage("\(what): member \(change.changedMember.id) (\(kind)); members now "
                    + change.memberListing.map { "\($0.id)\($0.isLearner ? "L" : "")" }.joined(separator: ",")))
            case .failure(let error):
                inbox.post(StatusMessage("\(what) failed: \(error)", kind: .error))
            }
        }
    }

    private func put(key: String, value: [UInt8], lease: Int64 = 0, on cluster: Cluster) {
        let inbox = self.inbox
        let started = cluster.nowNanos()
        let withLease = lease == 0 ? "" : " with lease \(LeaseNaming.hex(lease))"
        report("put \(key) (\(value.count) B)\(withLease) proposed")
        cluster.put(key: Array(key.utf8), value: value, lease: lease, as: state.user) { result in
            let millis = Format.millis(nanos: cluster.nowNanos() - started)
            switch result {
            case .success(let put):
                inbox.post(StatusMessage("put \(key): revision \(put.revision), term \(put.raftTerm), \(millis) ms"))
            case .failure(let error):
                inbox.post(StatusMessage("put \(key) failed after \(millis) ms: \(error)", kind: .error))
            }
        }
    }

    private func get(_ key: String, from cluster: Cluster) {
        do {
            let read = try cluster.get(key: Array(key.utf8), as: state.user)
            if let bytes = read.value {
                let value = String(decoding: bytes.prefix(60), as: UTF8.self)
                report("\(key) = \(value)\(bytes.count > 60 ? "…" : "") (\(bytes.count) B, mod revision \(read.modRevision), from m\(read.member))")
            } else {
                report("\(key) not found (m\(read.member) at revision \(read.revision))", .warning)
            }
        } catch {
            report("get \(key): \(error)", .error)
        }
    }

    private func delete(_ key: String, on cluster: Cluster) {
        let inbox = self.inbox
        report("del \(key) proposed")
        cluster.delete(key: Array(key.utf8), as: state.user) { result in
            switch result {
            case .success(let deleted):
                inbox.post(StatusMessage("del \(key): \(deleted.deleted) deleted, revision \(deleted.revision)"))
            case .failure(let error):
                inbox.post(StatusMessage("del \(key) failed: \(error)", kind: .error))
            }
        }
    }

    func randomValue(bytes: Int) -> [UInt8] {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        return (0..<bytes).map { _ in letters[Int.random(in: 0..<letters.count, using: &random)] }
    }

    private func setLoad(running: Bool, rate: Double, on cluster: Cluster) {
        load?.stop()
        load = nil
        state.loadRate = rate
        state.loadRunning = running
        guard running else { return report("load stopped") }
        // Closed-loop clients, enough that each waits between puts at this rate.
        let clients = max(1, min(64, Int(rate / 50)))
        let generator = LoadGenerator(cluster: cluster, clients: clients, valueSize: 256, targetRate: rate, keyPrefix: "load")
        generator.start()
        load = generator
        report("load: \(Format.millis(rate)) puts/s from \(clients) client\(clients == 1 ? "" : "s")")
    }

    private func setPaused(_ paused: Bool, _ cluster: Cluster) {
        state.paused = paused
        if !state.simulated {
            stepEndsNanos = nil
            if paused {
                cluster.freeze()
            } else {
                cluster.thaw()
            }
        }
        report(paused ? "paused: space resumes, s steps" : "running")
    }

    private func singleStep(_ cluster: Cluster) {
        guard state.paused else { return report("single-step works while paused: press space first", .warning) }
        if state.simulated {
            if let reason = advance(cluster, byNanos: Self.stepNanos) { return report(reason, .warning) }
            report("stepped \(Format.millis(nanos: Self.stepNanos)) ms: t = \(Format.clock(nanos: cluster.nowNanos() - state.startNanos))")
        } else {
            // Real time has no exact step: run for one (stretched) tick of the cluster's clock,
            // then freeze again.
            let tick = UInt64(Double(cluster.memberTiming.tickNanos) * cluster.tickScale)
            stepEndsNanos = cluster.nowNanos() + tick
            cluster.thaw()
            report("running one tick (\(Format.millis(nanos: tick)) ms), then pausing")
        }
    }

    private func setSpeed(_ speed: Double, _ cluster: Cluster) {
        let top = state.simulated ? Self.speedsSimulated.last! : 1
        state.speed = min(max(speed, Self.speedsRealTime[0]), top)
        if !state.simulated {
            cluster.setTickScale(1 / state.speed)
            applyNetwork(cluster)
        }
        report("speed \(Format.speed(state.speed))" + (speed > top ? " (real time runs at most 1x)" : ""))
    }

    /// The network as set, its latency stretched by slow motion in real time.
    private func applyNetwork(_ cluster: Cluster) {
        var settings = baseNetwork
        if !state.simulated && state.speed < 1 {
            settings.latencyMicros = UInt64(Double(settings.latencyMicros) / state.speed)
            settings.jitterMicros = UInt64(Double(settings.jitterMicros) / state.speed)
        }
        cluster.setNetwork(settings)
    }

    /// The next value up or down a ladder of choices from `current`.
    func step(_ ladder: [Double], from current: Double, up: Bool) -> Double {
        if up { return ladder.first { $0 > current + 1e-9 } ?? ladder.last! }
        return ladder.last { $0 < current - 1e-9 } ?? ladder.first!
    }
}
