import Cluster
import Foundation

/// What happened to the cluster, newest at the bottom: elections and how long they took, leader
/// changes, crashes, restarts, partitions and errors returned to clients. The `/` filter keeps
/// the events whose text contains it; PgUp and PgDn scroll back through the rest.
enum EventsPane {
    static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let inner = area.inset(1)
        let matching = state.filter.isEmpty ? snapshot.events
            : snapshot.events.filter { $0.description.range(of: state.filter, options: .caseInsensitive) != nil }
        let scroll = min(max(0, state.eventsScroll), max(0, matching.count - inner.height))
        var title = "events"
        if !state.filter.isEmpty { title += "  filter '\(state.filter)': \(matching.count)" }
        if scroll > 0 { title += "  \(scroll) newer below" }
        canvas.box(area, title: title)
        let shown = matching.dropLast(scroll).suffix(inner.height)
        for (row, event) in shown.enumerated() {
            let since = event.atNanos >= state.startNanos ? event.atNanos - state.startNanos : 0
            let time = Format.padLeft(Format.seconds(nanos: since), 7)
            canvas.write(time, x: inner.x, y: inner.y + row, role: .dim, clip: inner)
            canvas.write(" " + event.description, x: inner.x + 7, y: inner.y + row, role: role(event.kind), clip: inner)
        }
        if shown.isEmpty {
            let none = state.filter.isEmpty ? "nothing yet" : "no event matches '\(state.filter)'"
            canvas.write(none, x: inner.x, y: inner.y, role: .dim, clip: inner)
        }
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
