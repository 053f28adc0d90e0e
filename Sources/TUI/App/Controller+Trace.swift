import Cluster

/// Following one put (pinning it in the trace pane) and selecting as htop and k9s do: arrows
/// move through the focused pane's rows, Enter opens the selected put, a click selects what it
/// hits. All of it changes only `UIState`; the views draw from it.
extension Controller {
    /// Once a frame: remembers the traces seen and refreshes the pinned put's copy.
    func observeTraces(_ snapshot: ClusterSnapshot) {
        let list = TraceList.merged(snapshot.traces, state)
        if let pinned = state.pinnedTrace {
            state.pinnedTrace = list.first { $0.requestID == pinned.requestID } ?? pinned
        }
        state.seenTraces = list
        state.memberRows = snapshot.members.map(\.id)
    }

    /// The puts the trace pane lists now.
    var traceList: [StageTraceView] {
        TraceList.merged([], state)
    }

    func pin(_ trace: StageTraceView) {
        state.pinnedTrace = trace
        state.traceCursor = nil
        report("trace pinned to req \(TraceList.idText(trace.requestID)) (\(trace.summary)); esc or :trace unpins")
    }

    func unpinTrace() {
        guard state.pinnedTrace != nil else { return }
        state.pinnedTrace = nil
        state.traceCursor = nil
    }

    func pinTrace(_ what: String?) {
        guard let what else {
            unpinTrace()
            return report("trace follows the newest put")
        }
        guard let trace = TraceList.find(what, in: traceList) else {
            return report("no traced put has the key or request id '\(what)' (the trace keeps the last \(TraceList.capacity) puts)", .error)
        }
        pin(trace)
    }

    /// `[` and `]`: the put one older or newer than the one shown, pinned.
    func pinNeighbour(older: Bool) {
        let list = traceList
        guard let shown = TraceList.shown(in: list, state) else { return report("no puts traced yet", .warning) }
        let at = list.firstIndex { $0.requestID == shown.requestID } ?? 0
        let target = older ? at + 1 : at - 1
        guard list.indices.contains(target) else {
            return report(older ? "no older put traced (the trace keeps the last \(TraceList.capacity))"
                                : "this is the newest put traced; esc follows new puts", .warning)
        }
        pin(list[target])
    }

    /// Tab: in the wide layout the focus moves between the members and the trace; in the narrow
    /// one the next detail pane shows, and the trace has the focus while it is the one shown.
    func cycleFocus() {
        let layout = Layout.forState(state, memberCount: max(state.memberRows.count, source.memberCount))
        if layout.isWide {
            state.focus = state.focus == .members ? .trace : .members
        } else {
            state.detailPane = state.detailPane.next
            state.focus = state.detailPane == .trace ? .trace : .members
        }
    }

    /// Up and Down: the previous or next member, or put, in the focused pane.
    func moveSelection(up: Bool) {
        switch state.focus {
        case .members:
            let rows = state.memberRows.isEmpty ? (1...max(1, source.memberCount)).map { NodeID($0) } : state.memberRows
            let at = rows.firstIndex(of: state.selected) ?? 0
            state.selected = rows[min(max(at + (up ? -1 : 1), 0), rows.count - 1)]
        case .trace:
            let list = traceList
            guard !list.isEmpty else { return }
            let current = state.traceCursor ?? TraceList.shown(in: list, state)?.requestID
            let at = list.firstIndex { $0.requestID == current } ?? 0
            // The list runs newest first: up is newer.
            state.traceCursor = list[min(max(at + (up ? -1 : 1), 0), list.count - 1)].requestID
        }
    }

    /// Enter: pins the put under the cursor (with the members focused, the trace's newest).
    func openSelected() {
        let list = traceList
        guard let trace = state.traceCursor.flatMap({ id in list.first { $0.requestID == id } })
            ?? TraceList.shown(in: list, state) else { return report("no puts traced yet", .warning) }
        pin(trace)
        state.focus = .trace
    }

    /// A click: on a member's row selects it; on a put in the trace's list pins it.
    func click(x: Int, y: Int) {
        let count = max(state.memberRows.count, source.memberCount)
        let layout = Layout.forState(state, memberCount: count)
        let members = layout.members
        // The table's rows start under its border and column names.
        let row = y - members.y - 2
        if x >= members.x, x < members.maxX, row >= 0, row < state.memberRows.count, y < members.maxY - 1 {
            state.selected = state.memberRows[row]
            state.focus = .members
            return report("member \(state.selected) selected")
        }
        let traceArea = layout.trace ?? (state.detailPane == .trace ? layout.detail : nil)
        guard let area = traceArea, x >= area.x, x < area.maxX, y >= area.y, y < area.maxY else { return }
        state.focus = .trace
        let list = traceList
        guard let hits = TracePane.listHits(list, members: state.memberRows, state, area: area), hits.y == y,
              let hit = hits.items.first(where: { $0.range.contains(x) }),
              let trace = list.first(where: { $0.requestID == hit.id }) else { return }
        pin(trace)
    }
}
