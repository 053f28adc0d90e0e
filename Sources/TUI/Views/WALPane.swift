import Cluster
import Foundation

/// Every member's newest log entries side by side, one row per log index so an entry lines up
/// across the members, each marked applied, committed, durable (fsynced) or only appended: the
/// put path's replication, fsync and commit, watched moving across the members.
enum WALPane {
    static let appliedMark = "●"
    static let committedMark = "◐"
    static let durableMark = "○"
    static let appendedMark = "◌"

    /// The indices the pane shows, oldest first: those in any member's log whose text matches
    /// the filter, less the newest `scroll`, the last `rows` of what is left.
    static func indices(_ snapshot: ClusterSnapshot, filter: String, scroll: Int, rows: Int) -> (shown: [UInt64], scroll: Int) {
        indices(logs: snapshot.members.filter { $0.status != nil }.map(\.log), filter: filter, scroll: scroll, rows: rows)
    }

    /// The indices the pane's rows show for these members' logs: every index any of them holds
    /// that passes the filter, the newest `rows` of them, `scroll` back from the newest.
    static func indices(logs: [[WALEntryView]], filter: String, scroll: Int, rows: Int) -> (shown: [UInt64], scroll: Int) {
        var all = Set<UInt64>()
        for log in logs {
            for entry in log where filter.isEmpty || matches(entry, filter) { all.insert(entry.index) }
        }
        let sorted = all.sorted()
        let scroll = min(max(0, scroll), max(0, sorted.count - rows))
        return (Array(sorted.dropLast(scroll).suffix(max(0, rows))), scroll)
    }

    static func matches(_ entry: WALEntryView, _ filter: String) -> Bool {
        let text = "\(entry.index) t\(entry.term) \(kind(entry)) \(entry.summary)"
        return text.range(of: filter, options: .caseInsensitive) != nil
    }

    static func kind(_ entry: WALEntryView) -> String {
        switch entry.kind {
        case .request: "req"
        case .empty: "empty"
        case .confChange: "conf"
        }
    }

    static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let inner = area.inset(1)
        let (shown, scroll) = indices(snapshot, filter: state.filter, scroll: state.walScroll, rows: inner.height - 1)
        var title = "WAL  \(appliedMark) applied  \(committedMark) committed  \(durableMark) durable  \(appendedMark) appended"
        if !state.filter.isEmpty { title += "  filter '\(state.filter)'" }
        if scroll > 0 { title += "  \(scroll) newer below" }
        canvas.box(area, title: title)
        let columns = inner.columns(max(1, snapshot.members.count))
        for (i, (view, column)) in zip(snapshot.members, columns).enumerated() {
            var col = column
            if i > 0 {
                for y in col.y..<col.maxY { canvas[col.x, y] = Cell(scalar: "│", role: .border) }
                col = Rect(x: col.x + 1, y: col.y, width: col.width - 1, height: col.height)
            }
            renderMember(view, isLeader: view.id == snapshot.leader, selected: view.id == state.selected, rows: shown,
                         filter: state.filter, into: &canvas, area: col)
        }
        if shown.isEmpty && !state.filter.isEmpty {
            canvas.write("no entry matches '\(state.filter)'", x: inner.x + 1, y: inner.y + 1, role: .dim, clip: inner)
        }
    }

    static func mark(_ index: UInt64, _ view: MemberView, _ status: MemberStatusView) -> (String, StyleRole) {
        if index <= status.appliedIndex { return (appliedMark, .applied) }
        if index <= status.raft.commit { return (committedMark, .committed) }
        if index <= view.durableIndex { return (durableMark, .uncommitted) }
        return (appendedMark, .dim)
    }

    /// One member's column: its title, then on each row the entry at that row's index, if it
    /// has one.
    static func renderMember(_ view: MemberView, isLeader: Bool, selected: Bool, rows: [UInt64], filter: String,
                             into canvas: inout Canvas, area: Rect) {
        guard area.height >= 1, area.width >= 4 else { return }
        let role = MembersTable.rowRole(view, isLeader: isLeader)
        var title = " m\(view.id) "
        if let status = view.status {
            title += (isLeader ? "leader" : status.raft.role.description)
                + " c\(status.raft.commit) a\(status.appliedIndex) d\(view.durableIndex)"
        } else {
            title += "down"
        }
        canvas.write(title, x: area.x, y: area.y, role: selected ? .selection : role, clip: area)
        guard area.height > 1 else { return }
        guard let status = view.status else {
            canvas.write(" (no log: member down)", x: area.x, y: area.y + 1, role: .down, clip: area)
            return
        }
        drawEntries(view.log, rows: rows, into: &canvas, area: area) { mark($0, view, status) }
    }

    /// A member's entries below its column's title, one row per index of `rows` (a `-` where it
    /// has none), each with the mark and role `mark` gives its index.
    static func drawEntries(_ log: [WALEntryView], rows: [UInt64], into canvas: inout Canvas, area: Rect,
                            mark: (UInt64) -> (String, StyleRole)) {
        var byIndex: [UInt64: WALEntryView] = [:]
        for entry in log { byIndex[entry.index] = entry }
        let wide = area.width >= 30
        for (row, index) in rows.enumerated() {
            let y = area.y + 1 + row
            guard y < area.maxY else { break }
            guard let entry = byIndex[index] else {
                canvas.write(" " + Format.padLeft(String(index), 6) + " -", x: area.x, y: y, role: .dim, clip: area)
                continue
            }
            let (mark, entryRole) = mark(index)
            var text = "\(mark)\(Format.padLeft(String(entry.index), 6)) t\(entry.term) "
            if wide { text += Format.padRight(kind(entry), 5) + " " }
            text += entry.kind == .empty ? "(new leader)" : entry.summary
            canvas.write(text, x: area.x, y: y, role: entryRole, clip: area)
        }
    }
}
