import Cluster
import Raft
import Server

/// Where one put spent its time: each stage of etcd's put path as a bar on a shared timeline,
/// from the moment the member received the request to the moment it answered.
enum TracePane {
    struct Step: Equatable {
        var label: String
        var startNanos: UInt64
        var endNanos: UInt64
    }

    /// The stages `trace` reached, each as the span from the stage it waits on to itself. Times
    /// are taken on different threads, so one can read a little before the receipt: such a time
    /// counts as the receipt, never as a negative span.
    static func steps(_ trace: StageTrace) -> [Step] {
        let origin = trace.receivedNanos
        var steps: [Step] = [Step(label: "received", startNanos: origin, endNanos: origin)]
        var previous = origin
        func add(_ label: String, _ time: UInt64?, from start: UInt64? = nil) {
            guard let time = time.map({ max($0, origin) }) else { return }
            steps.append(Step(label: label, startNanos: min(start ?? previous, time), endNanos: time))
            previous = max(previous, time)
        }
        add("auth checked", trace.authCheckedNanos)
        add("proposed", trace.proposedNanos)
        add("leader append", trace.leaderAppendedNanos)
        let sent = max(trace.leaderAppendedNanos ?? trace.proposedNanos ?? origin, origin)
        add("leader fsync", trace.leaderSyncedNanos, from: sent)
        for (follower, ack) in trace.followerAckNanos.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            let time = max(ack, origin)
            steps.append(Step(label: "ack from m\(follower)", startNanos: min(sent, time), endNanos: time))
        }
        add("committed", trace.committedNanos, from: max(previous, sent))
        add("applied", trace.appliedNanos)
        add("responded", trace.respondedNanos)
        return steps
    }

    static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let traces = snapshot.traces
        let offset = min(state.traceOffset, max(traces.count - 1, 0))
        let position = traces.isEmpty ? "" : offset == 0 ? "  newest of \(traces.count)" : "  \(offset) older of \(traces.count)"
        canvas.box(area, title: "trace" + position + "  (stage, ms at, ms took)  [ ] older/newer")
        let inner = area.inset(1)
        guard !traces.isEmpty else {
            canvas.write("no puts yet: press p, or :put KEY VALUE", x: inner.x, y: inner.y, role: .dim, clip: inner)
            return
        }
        let trace = traces[offset]
        let total = trace.respondedNanos.map { "  total \(Format.millis(nanos: $0 >= trace.receivedNanos ? $0 - trace.receivedNanos : 0)) ms" }
            ?? "  (in progress)"
        var heading = "\(trace.summary)  via m\(trace.member)"
        if !trace.username.isEmpty { heading += "  as \(trace.username)" }
        if trace.index > 0 { heading += "  index \(trace.index)" }
        canvas.write(heading + total, x: inner.x, y: inner.y, role: trace.error == nil ? .accent : .error, clip: inner)
        var y = inner.y + 1
        if let error = trace.error, y < inner.maxY {
            canvas.write("error: \(error)", x: inner.x, y: y, role: .error, clip: inner)
            y += 1
        }
        let all = steps(trace)
        let origin = trace.receivedNanos
        let end = max(all.map(\.endNanos).max() ?? origin, origin + 1)
        let labelWidth = 14
        let numbersWidth = 16
        let barWidth = max(1, inner.width - labelWidth - numbersWidth)
        for step in all where y < inner.maxY {
            let at = Format.millis(nanos: step.endNanos - origin)
            let took = Format.millis(nanos: step.endNanos - step.startNanos)
            canvas.write(Format.padRight(step.label, labelWidth) + Format.padLeft(at, 7) + Format.padLeft(took, 8),
                         x: inner.x, y: y, role: .text, clip: inner)
            let scale = Double(barWidth) / Double(end - origin)
            let startCell = Int(Double(step.startNanos - origin) * scale)
            let endCell = max(startCell + 1, Int((Double(step.endNanos - origin) * scale).rounded()))
            let barX = inner.x + labelWidth + numbersWidth
            for c in startCell..<min(endCell, barWidth) {
                canvas[barX + c, y] = Cell(scalar: step.endNanos == step.startNanos ? "▏" : "█", role: roleFor(step.label))
            }
            y += 1
        }
    }

    static func roleFor(_ label: String) -> StyleRole {
        if label.hasPrefix("ack") { return .follower }
        switch label {
        case "leader append", "leader fsync": return .leader
        case "committed": return .committed
        case "applied", "responded": return .applied
        default: return .bar
        }
    }
}
