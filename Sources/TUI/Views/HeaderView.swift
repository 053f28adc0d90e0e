import Cluster
import Foundation

/// The top line: the cluster at a glance, and where help is.
enum HeaderView {
    static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard !area.isEmpty else { return }
        canvas.fill(area, role: .text)
        let latency = snapshot.latency
        let running: (String, StyleRole) = state.paused ? ("PAUSED", .warning) : ("running", .applied)
        let leader = snapshot.leader.map { "m\($0)" } ?? "none"
        let load = state.loadRunning ? "load \(Format.millis(state.loadRate))/s" : "load off"
        let data = snapshot.attached == nil ? "data " + (snapshot.dataDirectory ?? "memory") : "attached to etcd"
        var segments: [(String, StyleRole)] = [
            ("rafttop", .title),
            ("\(snapshot.members.count) members", .text),
            ("leader \(leader)", snapshot.leader == nil ? .error : .leader),
            ("term \(snapshot.term)", .text),
            running,
            // Simulated time, to the millisecond: a single step (1 ms) changes it.
            ("speed \(Format.speed(state.speed))\(state.simulated ? " sim t \(Format.clock(nanos: snapshot.nowNanos - min(state.startNanos, snapshot.nowNanos)))" : "")",
             state.speed == 1 ? .text : .warning),
            ("puts \(Format.count(snapshot.putsAcknowledged)) (\(Int(state.putsPerSecond.rounded()))/s)", .text),
            ("p50 \(Format.millis(micros: latency.percentileMicros(50))) p99 \(Format.millis(micros: latency.percentileMicros(99))) ms", .text),
            (load, state.loadRunning ? .accent : .dim),
            (data, .dim),
        ]
        if let lease = leaseSegment(snapshot) { segments.insert(lease, at: segments.count - 2) }
        // Packed threads answer a light load sooner: the latency above depends on it.
        switch snapshot.cpuPlacement {
        case .packed(let cpu): segments.append(("threads on CPU \(cpu)", .dim))
        case .spread: segments.append(("threads spread", .dim))
        case nil: break
        }
        if state.simulated, let stopOn = state.stopOn { segments.insert(("stop on \(stopOn)", .accent), at: 6) }
        if let user = state.user { segments.insert(("user \(user)", .accent), at: 4) }
        // An external cluster runs at its own pace: no pause, no slow motion.
        if snapshot.attached != nil { segments.removeSubrange(4...5) }
        // "? help" keeps its place at the right end of the first line.
        let help = "? help"
        canvas.write(help, x: area.maxX - help.count - 1, y: area.y, role: .accent, clip: area)
        var x = area.x + 1
        var y = area.y
        for (i, (text, role)) in segments.enumerated() {
            let separator = i == 0 ? "" : " │ "
            let needed = separator.count + text.count
            let limit = y == area.y ? area.maxX - help.count - 2 : area.maxX - 1
            if x + needed > limit && i > 0 {
                guard y + 1 < area.maxY else { break }
                y += 1
                x = area.x + 1
            } else if i > 0 {
                x = canvas.write(separator, x: x, y: y, role: .border, clip: area)
            }
            x = canvas.write(text, x: x, y: y, role: role, clip: area)
        }
    }

    /// The leases the leader holds and the next to run out, e.g. `leases 2, 3f2a… ends in 4.2 s`.
    static func leaseSegment(_ snapshot: ClusterSnapshot) -> (String, StyleRole)? {
        guard let status = snapshot.leader.flatMap({ id in snapshot.members.first { $0.id == id }?.status }),
              status.leaseCount > 0 else { return nil }
        var text = "leases \(status.leaseCount)"
        if let next = status.nextLeaseExpiry {
            let hex = next.idHex
            let shown = hex.count > 6 ? String(hex.prefix(5)) + "…" : hex
            let left = next.atNanos > snapshot.nowNanos ? next.atNanos - snapshot.nowNanos : 0
            text += ", \(shown) ends in \(String(format: "%.1f", Double(left) / 1e9)) s"
        }
        return (text, .accent)
    }
}
