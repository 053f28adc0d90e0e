import Cluster
import Server

/// The WAL pane over real etcd members whose data directories rafttop can read: each member's
/// own WAL, decoded from etcd's format, lined up by index as the built-in members' are. An entry
/// is applied or committed as the member's Maintenance.Status last said, and otherwise durable:
/// etcd answers nothing before its WAL write returns. A member whose WAL cannot be read says why.
enum AttachedWALPane {
    static func render(_ view: AttachedView, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let inner = area.inset(1)
        let rows = indices(view, filter: state.filter, scroll: state.walScroll, rows: inner.height - 1)
        var title = "WAL (etcd's own)  \(WALPane.appliedMark) applied  \(WALPane.committedMark) committed  \(WALPane.durableMark) durable"
        if !state.filter.isEmpty { title += "  filter '\(state.filter)'" }
        if rows.scroll > 0 { title += "  \(rows.scroll) newer below" }
        canvas.box(area, title: title)
        let columns = inner.columns(max(1, view.members.count))
        for (i, (member, column)) in zip(view.members, columns).enumerated() {
            var col = column
            if i > 0 {
                for y in col.y..<col.maxY { canvas[col.x, y] = Cell(scalar: "│", role: .border) }
                col = Rect(x: col.x + 1, y: col.y, width: col.width - 1, height: col.height)
            }
            renderMember(member, view.wal[member.id], rows: rows.shown, filter: state.filter,
                         selected: member.id == state.selected, into: &canvas, area: col)
        }
    }

    static func indices(_ view: AttachedView, filter: String, scroll: Int, rows: Int) -> (shown: [UInt64], scroll: Int) {
        var all = Set<UInt64>()
        for wal in view.wal.values {
            for entry in wal.entries where filter.isEmpty || WALPane.matches(entry, filter) { all.insert(entry.index) }
        }
        let sorted = all.sorted()
        let scroll = min(max(0, scroll), max(0, sorted.count - rows))
        return (Array(sorted.dropLast(scroll).suffix(max(0, rows))), scroll)
    }

    static func renderMember(_ member: AttachedMember, _ wal: AttachedWAL?, rows: [UInt64], filter: String, selected: Bool,
                             into canvas: inout Canvas, area: Rect) {
        guard area.height >= 1, area.width >= 4 else { return }
        let role: StyleRole = !member.reachable ? .down : member.isLeader ? .leader : .follower
        let title = " m\(member.id) " + (member.reachable ? (member.isLeader ? "leader" : "follower")
            + " c\(member.raftIndex) a\(member.raftAppliedIndex)" : "down")
        canvas.write(title, x: area.x, y: area.y, role: selected ? .selection : role, clip: area)
        guard area.height > 1 else { return }
        guard let wal else {
            canvas.write(" (no data directory: its WAL cannot be read)", x: area.x, y: area.y + 1, role: .dim, clip: area)
            return
        }
        if wal.entries.isEmpty, let note = wal.note {
            canvas.write(" " + note, x: area.x, y: area.y + 1, role: .warning, clip: area)
            return
        }
        var byIndex: [UInt64: LogEntryView] = [:]
        for entry in wal.entries { byIndex[entry.index] = entry }
        let wide = area.width >= 30
        for (row, index) in rows.enumerated() {
            let y = area.y + 1 + row
            guard y < area.maxY else { break }
            guard let entry = byIndex[index] else {
                canvas.write(" " + Format.padLeft(String(index), 6) + " -", x: area.x, y: y, role: .dim, clip: area)
                continue
            }
            // Applied and committed as the member last reported them; what its WAL holds beyond
            // that is durable on its disk.
            let (mark, entryRole): (String, StyleRole) =
                index <= member.raftAppliedIndex ? (WALPane.appliedMark, .applied)
                : index <= max(member.raftIndex, wal.commit) ? (WALPane.committedMark, .committed)
                : (WALPane.durableMark, .uncommitted)
            var text = mark + " " + Format.padLeft(String(index), 5) + " t\(entry.term) "
            if wide { text += Format.padRight(WALPane.kind(entry), 5) + " " }
            text += entry.kind == .empty ? "(new leader)" : entry.summary
            canvas.write(text, x: area.x, y: y, role: entryRole, clip: area)
        }
    }
}
