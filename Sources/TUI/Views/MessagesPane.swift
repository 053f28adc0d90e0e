import Cluster

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
        let rows = collapsed(messages, nowNanos: snapshot.nowNanos)
        for (row, item) in rows.prefix(inner.height).enumerated() {
            let count = item.count > 1 ? " x\(item.count)" : ""
            let text = Format.padRight(item.text + count, max(0, inner.width - 12)) + Format.padLeft("in " + Format.millis(nanos: item.dueNanos), 11)
            canvas.write(text, x: inner.x, y: inner.y + row, role: role(item.type), clip: inner)
        }
        if rows.count > inner.height {
            canvas.write(" +\(rows.count - inner.height) more ", x: area.maxX - 14, y: area.maxY - 1, role: .dim, clip: area)
        }
    }

    /// One row of the pane: messages that read the same, counted once (`x3`), due when the
    /// soonest of them is.
    struct Row: Equatable {
        var text: String
        var type: MessageKind
        var dueNanos: UInt64
        var count: Int
    }

    /// `messages` (soonest first) as rows, identical ones collapsed into the first of them.
    static func collapsed(_ messages: [InFlightMessage], nowNanos: UInt64) -> [Row] {
        var rows: [Row] = []
        var rowOfText: [String: Int] = [:]
        for item in messages {
            let text = describe(item)
            if let i = rowOfText[text] {
                rows[i].count += 1
                continue
            }
            rowOfText[text] = rows.count
            rows.append(Row(text: text, type: item.type,
                            dueNanos: item.dueNanos > nowNanos ? item.dueNanos - nowNanos : 0, count: 1))
        }
        return rows
    }

    /// A message as the pane writes it: type, from and to, term, and what it carries
    /// (`i4 +1 c4`: after index 4, one entry, leader's commit 4).
    static func describe(_ m: InFlightMessage) -> String {
        var text = Format.padRight(m.type.description, 14) + "m\(m.from)→m\(m.to)  t\(m.term)"
        switch m.type {
        case .app:
            text += " i\(m.index) +\(m.entryCount) c\(m.commit)"
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
        return text
    }

    static func role(_ type: MessageKind) -> StyleRole {
        switch type {
        case .app, .appResp: .text
        case .heartbeat, .heartbeatResp: .dim
        case .vote, .voteResp, .preVote, .preVoteResp, .timeoutNow: .candidate
        case .snap: .warning
        default: .text
        }
    }
}
