import Cluster

/// Where one put spent its time, stage by stage on every member: the leader's receipt, proposal,
/// append and fsync; each follower's append, fsync, ack and apply on a row of its own; the
/// commit, the leader's apply and the answer. Every mark reads "at +took": `at` is ms since the
/// member received the request, `took` is ms since the stage it waits on (the mark to its left,
/// or the one named after ←). The layout is compact (a row per member, not per stage) so that
/// no stage is cut off at 80x24; what does not fit goes by priority, the stages last.
enum TracePane {
    /// A stage's time: when it happened, and how long after the stage it waits on.
    struct Mark: Equatable {
        var atNanos: UInt64
        var tookNanos: UInt64
    }

    /// The marks of one trace, relative to its receipt. Times are taken on several threads, so
    /// one can read a little before the receipt or before the stage it waits on: such a time
    /// counts as that earlier time, never as a negative span.
    struct Marks {
        var received = Mark(atNanos: 0, tookNanos: 0)
        var authChecked: Mark?
        var proposed: Mark?
        var leaderAppended: Mark?
        var leaderSynced: Mark?
        var followers: [(id: NodeID, appended: Mark?, synced: Mark?, acked: Mark?, applied: Mark?)] = []
        var committed: Mark?
        var applied: Mark?
        var responded: Mark?

        init(_ trace: StageTraceView, followers ids: [NodeID]) {
            let origin = trace.receivedNanos
            func at(_ time: UInt64?) -> UInt64? { time.map { $0 > origin ? $0 - origin : 0 } }
            func mark(_ time: UInt64?, after start: UInt64?) -> Mark? {
                guard let t = at(time) else { return nil }
                let s = min(at(start) ?? 0, t)
                return Mark(atNanos: t, tookNanos: t - s)
            }
            authChecked = mark(trace.authCheckedNanos, after: origin)
            proposed = mark(trace.proposedNanos, after: trace.authCheckedNanos ?? origin)
            leaderAppended = mark(trace.leaderAppendedNanos, after: trace.proposedNanos)
            leaderSynced = mark(trace.leaderSyncedNanos, after: trace.leaderAppendedNanos)
            for id in ids {
                let appended = trace.followerAppendedNanos[id], synced = trace.followerSyncedNanos[id]
                followers.append((id, mark(appended, after: trace.leaderAppendedNanos), mark(synced, after: appended),
                                  mark(trace.followerAckNanos[id], after: synced),
                                  mark(trace.followerAppliedNanos[id], after: trace.committedNanos)))
            }
            committed = mark(trace.committedNanos, after: Self.quorumNanos(trace, voters: ids.count + 1))
            applied = mark(trace.appliedNanos, after: trace.committedNanos)
            responded = mark(trace.respondedNanos, after: trace.appliedNanos ?? trace.committedNanos)
        }

        /// When a majority of the voters held the entry durably (the leader's fsync and the
        /// followers' acks): what the commit waits on.
        static func quorumNanos(_ trace: StageTraceView, voters: Int) -> UInt64? {
            let durable = ([trace.leaderSyncedNanos].compactMap { $0 } + trace.followerAckNanos.values).sorted()
            let quorum = voters / 2 + 1
            return durable.count >= quorum ? durable[quorum - 1] : nil
        }
    }

    /// Which rows the pane has room for, and where: also what a click in the pane hits.
    struct Rows {
        var heading: Int?
        var error: Int?
        var puts: Int?
        var legend: Int?
        var leader: [Int] = []
        var header: Int?
        var followers: [Int] = []
        var footer: [Int] = []

        /// Rows by priority: the stages first, then the column names and the legend, then the
        /// error (the heading is in its colour already), then the list of recent puts. The
        /// leader's stages and the footer's take more than one row on a narrow pane.
        init(height: Int, followers count: Int, leaderLines: Int, footerLines: Int, hasError: Bool, hasList: Bool) {
            enum Row: Equatable { case heading, error, puts, legend, leader(Int), header, follower(Int), footer(Int) }
            var wanted: [Row] = [.heading] + (0..<leaderLines).map { .leader($0) } + (0..<count).map { .follower($0) }
                + (0..<footerLines).map { .footer($0) } + [.header, .legend]
            if hasError { wanted.append(.error) }
            if hasList { wanted.append(.puts) }
            let kept = wanted.prefix(max(0, height))
            var y = 0
            func next(_ row: Row) -> Int? {
                guard kept.contains(row) else { return nil }
                defer { y += 1 }
                return y
            }
            heading = next(.heading)
            error = next(.error)
            puts = next(.puts)
            legend = next(.legend)
            leader = (0..<leaderLines).compactMap { next(.leader($0)) }
            header = next(.header)
            followers = (0..<count).compactMap { next(.follower($0)) }
            footer = (0..<footerLines).compactMap { next(.footer($0)) }
        }
    }

    /// What the pane draws for one trace at one size: its marks, the text of the leader's and
    /// the footer's rows (wrapped to the width), and which rows fit.
    struct Plan {
        var marks: Marks
        var leaderLines: [String]
        var footerLines: [String]
        var rows: Rows
        /// Where text ends and, on a wide pane, the timeline begins.
        var textWidth: Int
    }

    static func plan(_ trace: StageTraceView, members: [NodeID], listCount: Int, inner: Rect) -> Plan {
        let ids = followers(trace, members: members)
        let marks = Marks(trace, followers: ids)
        let table = labelWidth + 4 * cellWidth(inner.width) + 1
        let textWidth = inner.width - table >= timelineMinWidth ? table : inner.width
        let m = "m\(trace.member)"
        var leaderItems = [Format.padRight("\(m) leader", labelWidth) + "recv \(text(marks.received))"]
        if let auth = marks.authChecked { leaderItems.append("auth checked \(text(auth))") }
        leaderItems += ["prop \(text(marks.proposed))", "append \(text(marks.leaderAppended))", "fsync \(text(marks.leaderSynced))"]
        let footerItems = ["\(m) commit←quorum \(text(marks.committed))", "apply \(text(marks.applied))", "responded \(text(marks.responded))"]
        let leaderLines = flow(leaderItems, width: textWidth, indent: m.count + 1)
        let footerLines = flow(footerItems, width: textWidth, indent: m.count + 1)
        let rows = Rows(height: inner.height, followers: ids.count, leaderLines: leaderLines.count, footerLines: footerLines.count,
                        hasError: trace.error != nil, hasList: listCount > 1)
        return Plan(marks: marks, leaderLines: leaderLines, footerLines: footerLines, rows: rows, textWidth: textWidth)
    }

    /// `items` on as few lines of `width` as they fit, two spaces apart, never split: a line
    /// after the first starts `indent` cells in.
    static func flow(_ items: [String], width: Int, indent: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for item in items {
            if current.isEmpty {
                current = (lines.isEmpty ? "" : String(repeating: " ", count: indent)) + item
            } else if current.count + 2 + item.count <= width {
                current += "  " + item
            } else {
                lines.append(current)
                current = String(repeating: " ", count: indent) + item
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The followers to show for `trace`: every other member of the snapshot (one that has done
    /// nothing yet shows dashes) and any the trace names.
    static func followers(_ trace: StageTraceView, members: [NodeID]) -> [NodeID] {
        Set(members).union(trace.followers).subtracting([trace.member]).sorted()
    }

    static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let list = TraceList.merged(snapshot.traces, state)
        let shown = TraceList.shown(in: list, state)
        var title = (state.focus == .trace ? "▸ " : "") + "trace"
        if let pinned = state.pinnedTrace {
            title += "  pinned req \(TraceList.idText(pinned.requestID))  esc unpins"
        } else if !list.isEmpty {
            title += "  newest of \(list.count)"
        }
        canvas.box(area, title: title + "  [ ] older/newer")
        let inner = area.inset(1)
        guard let trace = shown else {
            let said = snapshot.putsAcknowledged + snapshot.putsFailed > 0
                ? "no trace kept of the \(snapshot.putsAcknowledged + snapshot.putsFailed) puts: press p for a new one"
                : "no puts yet: press p, or :put KEY VALUE"
            canvas.write(said, x: inner.x, y: inner.y, role: .dim, clip: inner)
            return
        }
        let plan = plan(trace, members: snapshot.members.map(\.id), listCount: list.count, inner: inner)
        let (marks, rows) = (plan.marks, plan.rows)
        func line(_ row: Int?, _ text: String, _ role: StyleRole) {
            if let row { canvas.write(text, x: inner.x, y: inner.y + row, role: role, clip: inner) }
        }
        line(rows.heading, heading(trace), trace.error == nil ? .accent : .error)
        line(rows.error, "error: " + (trace.error ?? ""), .error)
        if let row = rows.puts {
            drawList(list, shown: trace.requestID, state, into: &canvas, x: inner.x, y: inner.y + row, clip: inner)
        }
        line(rows.legend, legend(trace, width: inner.width), .dim)
        let m = "m\(trace.member)"
        for (row, text) in zip(rows.leader, plan.leaderLines) { line(row, text, .leader) }
        let cell = cellWidth(inner.width)
        line(rows.header, Format.padRight("follower", labelWidth) + Format.padRight("append←\(m)", cell) + Format.padRight("fsync", cell)
            + Format.padRight("ack", cell) + Format.padRight("apply←commit", cell), .dim)
        for (row, follower) in zip(rows.followers, marks.followers) {
            let cells = [follower.appended, follower.synced, follower.acked, follower.applied].map { Format.padRight(text($0), cell) }
            line(row, Format.padRight("m\(follower.id)", labelWidth) + cells.joined(), .follower)
        }
        for (row, text) in zip(rows.footer, plan.footerLines) { line(row, text, .committed) }
        drawTimeline(marks, rows, into: &canvas, inner: inner, textWidth: plan.textWidth)
    }

    /// Where the timeline starts: right of the widest text row, when the pane is wide enough.
    static let timelineMinWidth = 20

    /// On a wide pane, each stage row also as a bar on one time scale (from the receipt to the
    /// last mark), so the waterfall shows at a glance: the leader's row, each follower's and the
    /// commit-to-answer row.
    static func drawTimeline(_ marks: Marks, _ rows: Rows, into canvas: inout Canvas, inner: Rect, textWidth: Int) {
        let width = inner.width - textWidth
        guard width >= timelineMinWidth else { return }
        let x = inner.x + textWidth
        let rowMarks: [(row: Int?, marks: [Mark?], role: StyleRole)] =
            [(rows.leader.first, [marks.received, marks.proposed, marks.leaderAppended, marks.leaderSynced], .leader)]
            + zip(rows.followers, marks.followers).map { ($0, [$1.appended, $1.synced, $1.acked, $1.applied], StyleRole.follower) }
            + [(rows.footer.first, [marks.committed, marks.applied, marks.responded], .committed)]
        let end = max(rowMarks.flatMap { $0.marks.compactMap { $0?.atNanos } }.max() ?? 0, 1)
        let scale = Double(width - 1) / Double(end)
        if let header = rows.header {
            let label = "0 → \(Format.millis(nanos: end)) ms"
            canvas.write(Format.padLeft(label, width), x: x, y: inner.y + header, role: .dim, clip: inner)
        }
        for (row, times, role) in rowMarks {
            guard let row else { continue }
            let known = times.compactMap { $0 }
            guard let first = known.map({ $0.atNanos - $0.tookNanos }).min(), let last = known.map(\.atNanos).max() else { continue }
            let from = Int(Double(first) * scale)
            let to = max(from, Int((Double(last) * scale).rounded()))
            for c in from...to {
                canvas[x + c, inner.y + row] = Cell(scalar: first == last ? "▏" : "█", role: role)
            }
        }
    }

    static let labelWidth = 10

    /// What `at` and `took` mean, defined once for every mark of the pane.
    static func legend(_ trace: StageTraceView, width: Int) -> String {
        let long = "at: ms since m\(trace.member) received the request · +took: ms since the stage it waits on (the mark to its left, or the one after ←)"
        let short = "at: ms since m\(trace.member) got it · +took: ms after what it waits on (left or ←)"
        return long.count <= width ? long : short.count <= width ? short : "at: ms since m\(trace.member) got it · +took: since the mark it waits on"
    }

    static func cellWidth(_ width: Int) -> Int {
        max(12, min(16, (width - labelWidth) / 4))
    }

    /// What the put was, how it ended and its request id first, so a narrow pane cuts only the
    /// index and the member, which the WAL pane and the leader's row show too.
    static func heading(_ trace: StageTraceView) -> String {
        var heading = trace.summary
        if let latency = trace.latencyNanos {
            heading += "  total \(Format.millis(nanos: latency)) ms"
        } else {
            heading += "  (in flight)"
        }
        if trace.error != nil { heading += "  FAILED" }
        heading += "  req \(TraceList.idText(trace.requestID))"
        if !trace.username.isEmpty { heading += "  as \(trace.username)" }
        if trace.index > 0 { heading += "  index \(trace.index)" }
        return heading + "  via m\(trace.member)"
    }

    static func text(_ mark: Mark?) -> String {
        guard let mark else { return "-" }
        let at = Format.millis(nanos: mark.atNanos)
        return mark.tookNanos == mark.atNanos && mark.atNanos == 0 ? at : at + " +" + Format.millis(nanos: mark.tookNanos)
    }

    /// The list of recent puts, newest first: the one shown marked ▸, the one under the cursor
    /// in the selection colour while the trace has the focus. Returns where each put was drawn.
    @discardableResult
    static func drawList(_ list: [StageTraceView], shown: UInt64, _ state: UIState, into canvas: inout Canvas,
                         x: Int, y: Int, clip: Rect) -> [(range: Range<Int>, id: UInt64)] {
        var column = canvas.write("puts ", x: x, y: y, role: .dim, clip: clip)
        var placed: [(range: Range<Int>, id: UInt64)] = []
        let cursor = state.traceCursor ?? shown
        for trace in list {
            let label = (trace.requestID == shown ? "▸" : " ") + TraceList.label(trace)
                + (trace.error != nil ? "!" : trace.respondedNanos == nil ? "…" : "")
            guard column + label.count <= clip.maxX else { break }
            let role: StyleRole = state.focus == .trace && trace.requestID == cursor ? .selection
                : trace.error != nil ? .error : trace.requestID == shown ? .accent : .text
            let end = canvas.write(label, x: column, y: y, role: role, clip: clip)
            placed.append((column..<end, trace.requestID))
            column = end + 1
        }
        return placed
    }

    /// Where each recent put sits in the pane's list, for a click: empty when the list is not shown.
    static func listHits(_ list: [StageTraceView], members: [NodeID], _ state: UIState, area: Rect) -> (y: Int, items: [(range: Range<Int>, id: UInt64)])? {
        let inner = area.inset(1)
        guard let trace = TraceList.shown(in: list, state) else { return nil }
        guard let row = plan(trace, members: members, listCount: list.count, inner: inner).rows.puts else { return nil }
        var scratch = Canvas(width: area.maxX, height: inner.y + row + 1)
        let items = drawList(list, shown: trace.requestID, state, into: &scratch, x: inner.x, y: inner.y + row, clip: inner)
        return (inner.y + row, items)
    }
}
