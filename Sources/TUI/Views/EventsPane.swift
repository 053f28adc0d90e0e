import Cluster

/// What happened to the cluster, newest at the bottom: elections and how long they took, leader
/// changes, crashes, restarts, partitions and errors returned to clients.
enum EventsPane {
    static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        canvas.box(area, title: "events")
        let inner = area.inset(1)
        let shown = snapshot.events.suffix(inner.height)
        for (row, event) in shown.enumerated() {
            let since = event.atNanos >= state.startNanos ? event.atNanos - state.startNanos : 0
            let time = Format.padLeft(Format.seconds(nanos: since), 7)
            canvas.write(time, x: inner.x, y: inner.y + row, role: .dim, clip: inner)
            canvas.write(" " + event.description, x: inner.x + 7, y: inner.y + row, role: role(event.kind), clip: inner)
        }
        if shown.isEmpty { canvas.write("nothing yet", x: inner.x, y: inner.y, role: .dim, clip: inner) }
    }

    static func role(_ kind: ClusterEvent.Kind) -> StyleRole {
        switch kind {
        case .leaderElected: .leader
        case .leaderLost, .crashed: .error
        case .clientError: .warning
        case .partitioned, .paused: .warning
        case .restarted, .resumed, .healed: .applied
        case .transferRequested: .accent
        case .note: .text
        }
    }
}
