import Cluster
import Locking
import Logging
import Testing
@testable import TUI

/// The controller over an external cluster: puts and the load go to it, keys that would control
/// members answer in the status line.
@Suite struct AttachedControllerTests {
    /// Records what the controller asked of it and answers puts at once.
    final class FakeCluster: AttachedCluster {
        let endpoints = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]
        let puts = Locked<[String]>([])
        let loadRate = Locked<Double?>(nil)

        func nowNanos() -> UInt64 { 0 }
        func snapshot() -> ClusterSnapshot { AttachedRenderTests.snapshot() }
        func put(key: String, value: [UInt8], completion: @escaping @Sendable (Result<AttachedWrite, AttachedRequestError>) -> Void) {
            puts.withLock { $0.append(key) }
            completion(.success(AttachedWrite(key: key, valueBytes: value.count, revision: 9, raftTerm: 2, via: 1, latencyMicros: 1500, atNanos: 0)))
        }
        func get(key: String, completion: @escaping @Sendable (Result<AttachedRead, AttachedRequestError>) -> Void) {
            completion(.failure(AttachedRequestError("unreachable")))
        }
        func delete(key: String, completion: @escaping @Sendable (Result<Int64, AttachedRequestError>) -> Void) {
            completion(.success(1))
        }
        func startLoad(rate: Double) -> Int {
            loadRate.withLock { $0 = rate }
            return 1
        }
        func stopLoad() { loadRate.withLock { $0 = nil } }
        func closeLatencyInterval() {}
        func resetLatency() {}
    }

    func make() -> (Controller, FakeCluster) {
        let fake = FakeCluster()
        let controller = Controller(attached: fake, themes: ThemeCatalog(directories: [ThemeTests.themesDirectory]), theme: .builtIn,
                                    themeName: "default", seed: 3, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        return (controller, fake)
    }

    @Test func putsAndTheLoadGoToTheExternalCluster() {
        let (c, fake) = make()
        c.handle(.character("p"))
        c.beginFrame(frameNanos: 0)
        #expect(fake.puts.withLock { $0.count } == 1)
        #expect(c.state.status?.text.contains("revision 9, term 2, via m1") == true)
        c.handle(.character("l"))
        #expect(fake.loadRate.withLock { $0 } == c.state.loadRate)
        c.handle(.character("l"))
        #expect(fake.loadRate.withLock { $0 } == nil)
        c.handle(.character("3"))
        #expect(c.state.selected == 3)
    }

    @Test func keysThatControlMembersAnswerInTheStatusLine() {
        let (c, _) = make()
        for key in ["K", "k", "r", "z", "i", "h", "t", " ", "s", "<"] {
            c.state.status = nil
            c.handle(.character(Character(key)))
            #expect(c.state.status?.kind == .warning, "key \(key)")
            #expect(c.state.status?.text.contains("attached to an external etcd cluster: rafttop cannot") == true, "key \(key)")
        }
        #expect(!c.state.quitRequested)
    }
}
