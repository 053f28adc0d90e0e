import Cluster
import Locking
import Logging
import Testing
@testable import TUI

/// The controller over real etcd rafttop launched: member and network keys go to the cluster's
/// controls instead of being refused; keys the controls do not cover are still refused.
@Suite struct LaunchedControllerTests {
    /// An external cluster with controls that record every call; member 2 leads.
    final class FakeLaunched: AttachedCluster, ExternalControls {
        let endpoints = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]
        let calls = Locked<[String]>([])
        let paused = Locked<Set<NodeID>>([])

        var controls: (any ExternalControls)? { self }
        func nowNanos() -> UInt64 { 0 }
        func snapshot() -> ClusterSnapshot { AttachedRenderTests.snapshot() }
        func put(key: String, value: [UInt8], completion: @escaping @Sendable (Result<AttachedWrite, AttachedRequestError>) -> Void) {}
        func get(key: String, completion: @escaping @Sendable (Result<AttachedRead, AttachedRequestError>) -> Void) {}
        func delete(key: String, completion: @escaping @Sendable (Result<Int64, AttachedRequestError>) -> Void) {}
        func startLoad(rate: Double) -> Int { 1 }
        func stopLoad() {}
        func closeLatencyInterval() {}
        func resetLatency() {}

        var leader: NodeID? { 2 }
        func isPaused(_ id: NodeID) -> Bool { paused.withLock { $0.contains(id) } }
        func record(_ call: String) { calls.withLock { $0.append(call) } }
        func kill(_ id: NodeID) throws(AttachedRequestError) {
            guard id <= 3 else { throw AttachedRequestError("no member \(id)") }
            record("kill \(id)")
        }
        func restart(_ id: NodeID) throws(AttachedRequestError) { record("restart \(id)") }
        func pause(_ id: NodeID) throws(AttachedRequestError) {
            paused.withLock { _ = $0.insert(id) }
            record("pause \(id)")
        }
        func resume(_ id: NodeID) throws(AttachedRequestError) {
            paused.withLock { _ = $0.remove(id) }
            record("resume \(id)")
        }
        func isolate(_ id: NodeID) throws(AttachedRequestError) { record("isolate \(id)") }
        func partition(_ groups: [[NodeID]]) throws(AttachedRequestError) { record("partition \(groups)") }
        func heal() { record("heal") }
        func setLatency(millis: Double) { record("latency \(millis)") }
        func setLoss(percent: Double) { record("loss \(percent)") }
        func transferLeadership(to id: NodeID, completion: @escaping @Sendable (Result<NodeID, AttachedRequestError>) -> Void) {
            record("transfer \(id)")
            completion(.success(id))
        }
    }

    func make() -> (Controller, FakeLaunched) {
        let fake = FakeLaunched()
        let controller = Controller(attached: fake, themes: ThemeCatalog(directories: [ThemeTests.themesDirectory]), theme: .builtIn,
                                    themeName: "default", seed: 3, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        return (controller, fake)
    }

    @Test func memberAndNetworkActionsGoToTheControls() {
        let (c, fake) = make()
        c.apply(.kill(.leader))
        #expect(c.state.status?.text == "member 2 killed (SIGKILL)")
        c.handle(.character("3"))
        for action: Action in [.kill(.selected), .restart(.selected), .togglePause(.selected), .togglePause(.selected), .isolate(.member(1)),
                               .partition([[1], [2, 3]]), .heal, .setLatency(millis: 50), .setLoss(percent: 5), .transfer(.member(3))] {
            c.apply(action)
            #expect(c.state.status?.kind != .error && c.state.status?.kind != .warning, "\(action): \(c.state.status?.text ?? "")")
        }
        #expect(fake.calls.withLock { $0 } == ["kill 2", "kill 3", "restart 3", "pause 3", "resume 3", "isolate 1", "partition [[1], [2, 3]]",
                                               "heal", "latency 50.0", "loss 5.0", "transfer 3"])
    }

    @Test func aControlThatFailsSaysWhy() {
        let (c, _) = make()
        c.apply(.kill(.member(7)))
        #expect(c.state.status?.kind == .error)
        #expect(c.state.status?.text == "kill member 7: no member 7")
    }

    @Test func actionsTheControlsDoNotCoverAreStillRefused() {
        let (c, fake) = make()
        c.apply(.addMember(learner: false))
        #expect(c.state.status?.text.contains("rafttop cannot change its members") == true)
        #expect(fake.calls.withLock { $0 }.isEmpty)
    }

    @Test func helpOverLaunchedEtcdListsTheControlsButNotWhatNeedsTheBuiltInCluster() {
        let (c, _) = make()
        #expect(c.state.launched && c.state.attached)
        let terms = Set(HelpPages.lines(.index, attached: true, launched: true).map(\.term))
        for kept in ["K", "k", "r", "z", "i", "h", "t", "kill N", "pause N", "isolate N", "partition 1,2 3", "latency MS", "loss PERCENT",
                     "transfer N", "p", "put KEY VALUE"] {
            #expect(terms.contains(kept), "launched help keeps \(kept)")
        }
        for gone in ["speed FACTOR", "s .", "< >", "disk N MS", "member add|rm N", "[ ]"] {
            #expect(!terms.contains(gone), "launched help leaves out \(gone)")
        }
        let attachedOnly = Set(HelpPages.lines(.index, attached: true).map(\.term))
        #expect(!attachedOnly.contains("kill N"))
    }
}
