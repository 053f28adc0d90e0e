import Cluster
import Server

/// Every member's newest log entries side by side, marked applied, committed or uncommitted, so
/// replication and commit can be watched moving across the members.
enum WALPane {
    static let appliedMark = "●"
    static let committedMark = "◐"
    static let uncommittedMark = "○"

    static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        canvas.box(area, title: "WAL  \(appliedMark) applied  \(committedMark) committed  \(uncommittedMark) uncommitted")
        let inner = area.inset(1)
        let columns = inner.columns(max(1, snapshot.members.count))
        for (i, (view, column)) in zip(snapshot.members, columns).enumerated() {
            var col = column
            if i > 0 {
                for y in col.y..<col.maxY { canvas[col.x, y] = Cell(scalar: "│", role: .border) }
                col = Rect(x: col.x + 1, y: col.y, width: col.width - 1, height: col.height)
            }
            renderMember(view, isLeader: view.id == snapshot.leader, selected: view.id == state.selected, into: &canvas, area: col)
        }
    }

    static func renderMember(_ view: MemberView, isLeader: Bool, selected: Bool, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 1, area.width >= 4 else { return }
        let role = MembersTable.rowRole(view, isLeader: isLeader)
        var title = " m\(view.id) "
        if let status = view.status {
            title += (isLeader ? "leader" : status.raft.role.description) + " c\(status.raft.commit) a\(status.appliedIndex)"
        } else {
            title += "down"
        }
        canvas.write(title, x: area.x, y: area.y, role: selected ? .selection : role, clip: area)
        let rows = area.height - 1
        guard rows > 0 else { return }
        guard let status = view.status else {
            canvas.write(" (no log: member down)", x: area.x, y: area.y + 1, role: .down, clip: area)
            return
        }
        let entries = view.log.suffix(rows)
        let wide = area.width >= 30
        for (row, entry) in entries.enumerated() {
            let y = area.y + 1 + row
            let (mark, entryRole): (String, StyleRole) =
                entry.index <= status.appliedIndex ? (appliedMark, .applied)
                : entry.index <= status.raft.commit ? (committedMark, .committed) : (uncommittedMark, .uncommitted)
            let kind = switch entry.kind {
            case .request: "norm"
            case .empty: "empt"
            case .confChange: "conf"
            }
            var text = "\(mark)\(Format.padLeft(String(entry.index), 6)) t\(entry.term) "
            if wide { text += kind + " " }
            text += entry.kind == .empty ? "(new leader)" : entry.summary
            canvas.write(text, x: area.x, y: y, role: entryRole, clip: area)
        }
    }
}
