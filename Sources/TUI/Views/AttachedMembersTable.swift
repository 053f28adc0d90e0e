import Cluster

/// The members table of an external cluster: what each member's Maintenance.Status reported,
/// a member that does not answer shown down with the reason; then what its /metrics said
/// (pending proposals, fsync and backend commit latency, proposal and leader-change counters),
/// or why it could not be read.
enum AttachedMembersTable {
    static func render(_ view: AttachedView, leader: NodeID?, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        canvas.box(area, title: "members (etcd)" + (leader == nil ? "  (no leader)" : "") + AttachedMetricsColumns.windowTitle(view.members))
        let inner = area.inset(1)
        let endpointWidth = min(max(view.endpoints.map(\.count).max() ?? 8, 8), 24)
        let apply = view.members.contains { $0.metrics?.applyExported == true }
        // The member ID is the first to go when the screen is narrow: the endpoint names the member.
        let withID = 69 + endpointWidth + 17 + AttachedMetricsColumns.width(apply: apply) <= inner.width
        let heading = "NODE  " + Format.padRight("ENDPOINT", endpointWidth) + " " + (withID ? Format.padRight("MEMBER ID", 16) + " " : "")
            + "ROLE      TERM   INDEX APPLIED" + AttachedMetricsColumns.heading(apply: apply) + "     REV        DB   RTT  VERSION"
        canvas.write(heading, x: inner.x, y: inner.y, role: .dim, clip: inner)
        for (i, member) in view.members.enumerated() {
            let y = inner.y + 1 + i
            guard y < inner.maxY else { break }
            let role: StyleRole = !member.reachable ? .down : member.isLeader ? .leader : .follower
            let text = row(member, endpointWidth: endpointWidth, selected: member.id == state.selected, withID: withID, apply: apply)
            canvas.write(text, x: inner.x, y: y, role: role, clip: inner)
            if member.id == state.selected { canvas.restyle(Rect(x: inner.x, y: y, width: 5, height: 1), role: .selection) }
        }
    }

    static func row(_ m: AttachedMember, endpointWidth: Int, selected: Bool, withID: Bool = true, apply: Bool = false) -> String {
        var text = Format.padRight((selected ? "▸" : " ") + "m\(m.id)", 5) + " " + Format.padRight(m.endpoint, endpointWidth) + " "
        if withID { text += Format.padRight(m.memberID == 0 ? "-" : String(m.memberID, radix: 16), 16) + " " }
        guard m.reachable else {
            return text + Format.padRight("down", 9) + " " + m.errors.joined(separator: "; ")
        }
        text += Format.padRight(m.isLeader ? "leader" : "follower", 9)
        text += Format.padLeft(String(m.raftTerm), 5) + Format.padLeft(String(m.raftIndex), 8) + Format.padLeft(String(m.raftAppliedIndex), 8)
        text += AttachedMetricsColumns.cells(m, apply: apply)
        text += Format.padLeft(String(m.revision), 8) + Format.padLeft(bytes(m.dbSizeBytes), 10)
        text += Format.padLeft(Format.millis(micros: m.statusMicros), 6) + "  " + m.version
        if !m.errors.isEmpty { text += "  " + m.errors.joined(separator: "; ") }
        return text
    }

    /// A size in bytes, KiB or MiB.
    static func bytes(_ n: Int64) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1024 * 1024 { return Format.fixed(Double(n) / 1024, places: 1) + " KiB" }
        return Format.fixed(Double(n) / 1024 / 1024, places: 1) + " MiB"
    }
}
