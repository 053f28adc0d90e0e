import Cluster

/// The whole screen as a pure function of a cluster snapshot and the UI's state.
public enum Screen {
    public static func render(_ snapshot: ClusterSnapshot, _ state: UIState, width: Int, height: Int) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        render(snapshot, state, into: &canvas)
        return canvas
    }

    public static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas) {
        canvas.fill(canvas.bounds)
        guard canvas.width >= Layout.minimumWidth, canvas.height >= Layout.minimumHeight else {
            TooSmall.render(into: &canvas)
            return
        }
        let layout = Layout.compute(width: canvas.width, height: canvas.height, memberCount: snapshot.members.count)
            .givingTraceRoom(detailPane: state.detailPane, memberCount: snapshot.members.count)
        HeaderView.render(snapshot, state, into: &canvas, area: layout.header)
        if let attached = snapshot.attached {
            AttachedMembersTable.render(attached, leader: snapshot.leader, state, into: &canvas, area: layout.members)
            if attached.wal.isEmpty {
                AttachedWritesPane.render(attached, state, into: &canvas, area: layout.wal)
            } else {
                AttachedWALPane.render(attached, state, into: &canvas, area: layout.wal)
            }
        } else {
            MembersTable.render(snapshot, state, into: &canvas, area: layout.members)
            WALPane.render(snapshot, state, into: &canvas, area: layout.wal)
        }
        if let area = layout.latency { render(.latency, snapshot, state, into: &canvas, area: area) }
        if let area = layout.trace { render(.trace, snapshot, state, into: &canvas, area: area) }
        if let area = layout.messages { render(.messages, snapshot, state, into: &canvas, area: area) }
        if let area = layout.events { render(.events, snapshot, state, into: &canvas, area: area) }
        if let area = layout.detail {
            render(state.detailPane, snapshot, state, into: &canvas, area: area)
            let hint = " tab: \(state.detailPane.next.rawValue) "
            canvas.write(hint, x: area.maxX - hint.count - 1, y: area.y, role: .dim, clip: area)
        }
        StatusLine.render(state, into: &canvas, area: layout.status)
        if let tour = state.tour {
            TourOverlay.render(tour, snapshot, state, layout: layout, into: &canvas)
        }
        if state.helpVisible {
            HelpOverlay.render(state, into: &canvas, area: Rect(x: 0, y: 1, width: canvas.width, height: canvas.height - 2))
        }
    }

    /// One detail pane; an external cluster cannot fill the trace and message panes, so those say so.
    private static func render(_ pane: DetailPane, _ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        switch pane {
        case .latency: LatencyPane.render(snapshot, into: &canvas, area: area)
        case .events: EventsPane.render(snapshot, state, into: &canvas, area: area)
        case .trace where snapshot.attached != nil:
            UnavailablePane.render(title: "trace", what: "per-stage put traces", why: "etcd keeps them inside its members", into: &canvas, area: area)
        case .messages where snapshot.attached != nil:
            UnavailablePane.render(title: "messages in flight", what: "raft messages between members",
                                   why: "they travel on the members' peer connections, not the client API", into: &canvas, area: area)
        case .trace: TracePane.render(snapshot, state, into: &canvas, area: area)
        case .messages: MessagesPane.render(snapshot, into: &canvas, area: area)
        }
    }
}
