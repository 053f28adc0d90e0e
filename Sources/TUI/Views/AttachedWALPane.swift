import Cluster

/// The WAL pane over real etcd members whose data directories rafttop can read: each member's
/// own WAL, decoded from etcd's format, lined up by index as the built-in members' are. An entry
/// is applied or committed as the member's Maintenance.Status last said, and otherwise durable:
/// etcd answers nothing before its WAL write returns. A member whose WAL cannot be read says why.
enum AttachedWALPane {
    static func render(_ view: AttachedView, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let inner = area.inset(1)
        let rows = WALPane.indices(logs: view.wal.values.map(\.entries), filter: state.filter, scroll: state.walScroll,
                                   rows: inner.height - 1)
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
        // Applied and committed as the member last reported them; what its WAL holds beyond
        // that is durable on its disk.
        WALPane.drawEntries(wal.entries, rows: rows, into: &canvas, area: area) { index in
            index <= member.raftAppliedIndex ? (WALPane.appliedMark, .applied)
                : index <= max(member.raftIndex, wal.commit) ? (WALPane.committedMark, .committed)
                : (WALPane.durableMark, .uncommitted)
        }
    }
}
