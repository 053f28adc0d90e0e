import Cluster
import Raft

/// Raft messages on their way between members, soonest first, as RaftScope shows them.
enum MessagesPane {
    static func render(_ snapshot: ClusterSnapshot, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let settings = snapshot.networkSettings
        var title = "messages in flight: \(snapshot.inFlight.count)  latency \(Format.millis(micros: settings.latencyMicros)) ms"
        if settings.lossRate > 0 { title += "  loss \(Format.fixed(settings.lossRate * 100, places: 0))%" }
        canvas.box(area, title: title)
        let inner = area.inset(1)
        let messages = snapshot.inFlight.sorted { ($0.dueNanos, $0.sentNanos) < ($1.dueNanos, $1.sentNanos) }
        if messages.isEmpty {
            let hint = settings.latencyMicros == 0 ? "none (latency 0: delivered at once; try :latency 20)" : "none"
            canvas.write(hint, x: inner.x, y: inner.y, role: .dim, clip: inner)
            return
        }
        for (row, item) in messages.prefix(inner.height).enumerated() {
            let m = item.message
            var text = Format.padRight(m.type.description, 14) + "m\(m.from)→m\(m.to)  t\(m.term)"
            switch m.type {
            case .app:
                text += " i\(m.index) +\(m.entries.count) c\(m.commit)"
            case .appResp:
                text += " i\(m.index)" + (m.reject ? " reject" : "")
            case .heartbeat:
                text += " c\(m.commit)"
            case .vote, .preVote:
                text += " last \(m.logTerm)/\(m.index)"
            case .voteResp, .preVoteResp:
                text += m.reject ? " rejected" : " granted"
            default:
                break
            }
            let due = item.dueNanos > snapshot.nowNanos ? item.dueNanos - snapshot.nowNanos : 0
            text = Format.padRight(text, max(0, inner.width - 12)) + Format.padLeft("in " + Format.millis(nanos: due), 11)
            canvas.write(text, x: inner.x, y: inner.y + row, role: role(m.type), clip: inner)
        }
        if messages.count > inner.height {
            canvas.write(" +\(messages.count - inner.height) more ", x: area.maxX - 14, y: area.maxY - 1, role: .dim, clip: area)
        }
    }

    static func role(_ type: MessageType) -> StyleRole {
        switch type {
        case .app, .appResp: .text
        case .heartbeat, .heartbeatResp: .dim
        case .vote, .voteResp, .preVote, .preVoteResp, .timeoutNow: .candidate
        case .snap: .warning
        default: .text
        }
    }
}
