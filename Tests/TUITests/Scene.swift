import Cluster
import Foundation
@testable import TUI

/// A deterministic cluster to render: simulated time from a fixed seed, a few puts done and one
/// on its way, so every pane has something to show.
enum Scene {
    static func cluster(members: Int = 3) throws -> Cluster {
        var config = ClusterConfig(memberCount: members, driver: .simulated(seed: 42))
        config.network.latencyMicros = 2000
        return try Cluster(config: config)
    }

    static func snapshot() throws -> ClusterSnapshot {
        let cluster = try cluster()
        defer { cluster.shutdown() }
        cluster.run(until: { cluster.leader != nil })
        for i in 0..<6 {
            cluster.put(key: Array("k\(i)".utf8), value: Array(repeating: UInt8(ascii: "v"), count: 256))
            cluster.advance(byNanos: 20_000_000)
            if i % 2 == 1 { cluster.closeLatencyInterval() }
        }
        // One put half-way: appended everywhere, not yet committed.
        cluster.put(key: Array("k6".utf8), value: Array("in flight".utf8))
        cluster.advance(byNanos: 2_500_000)
        return cluster.snapshot()
    }

    static func state() -> UIState {
        var state = UIState()
        state.simulated = true
        state.putsPerSecond = 50
        state.status = StatusMessage("put k5: revision 7, term 2, 4.0 ms")
        return state
    }

    /// Compares `canvas` with the screen stored under `name`; with RAFTTOP_UPDATE_SCREENS=1 it
    /// stores the canvas instead (review the diff before committing it).
    static func expectedScreen(_ name: String, file: String = #filePath) -> String? {
        let url = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Screens/\(name).txt")
        return try? String(contentsOf: url, encoding: .utf8)
    }

    static func store(_ text: String, as name: String, file: String = #filePath) {
        let url = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Screens/\(name).txt")
        try? (text + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    static var updating: Bool { ProcessInfo.processInfo.environment["RAFTTOP_UPDATE_SCREENS"] == "1" }
}
