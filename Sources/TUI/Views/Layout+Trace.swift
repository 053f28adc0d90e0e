extension Layout {
    /// Rows the trace pane needs so no stage is cut: its border, heading, error, list of puts,
    /// legend, leader row, column names and footer (with a row more for a long one that wraps),
    /// and a row per follower.
    static func traceRowsWanted(memberCount: Int) -> Int {
        2 + 8 + max(memberCount - 1, 2)
    }

    /// The layout with the trace pane grown, where it is shown, to the rows it needs: taken
    /// from the WAL pane above it (which keeps its column names and two entries at least) and,
    /// in the wide layout, from the messages and events panes below it (which keep three rows).
    public func givingTraceRoom(detailPane: DetailPane, memberCount: Int) -> Layout {
        let shown = isWide ? trace : detailPane == .trace ? detail : nil
        guard let shown else { return self }
        let need = max(0, Self.traceRowsWanted(memberCount: memberCount) - shown.height)
        let fromWAL = min(need, max(0, wal.height - 5))
        let fromBelow = isWide ? min(need - fromWAL, max(0, (messages?.height ?? 0) - 5)) : 0
        guard fromWAL + fromBelow > 0 else { return self }
        var out = self
        out.wal.height -= fromWAL
        func grow(_ rect: Rect?) -> Rect? {
            rect.map { Rect(x: $0.x, y: $0.y - fromWAL, width: $0.width, height: $0.height + fromWAL + fromBelow) }
        }
        func shrink(_ rect: Rect?) -> Rect? {
            rect.map { Rect(x: $0.x, y: $0.y + fromBelow, width: $0.width, height: $0.height - fromBelow) }
        }
        if isWide {
            out.latency = grow(latency)
            out.trace = grow(trace)
            out.messages = shrink(messages)
            out.events = shrink(events)
        } else {
            out.detail = grow(detail)
        }
        return out
    }

    /// The layout a frame of `state` has on a screen of its size.
    static func forState(_ state: UIState, memberCount: Int) -> Layout {
        compute(width: state.screenWidth, height: state.screenHeight, memberCount: memberCount)
            .givingTraceRoom(detailPane: state.detailPane, memberCount: memberCount)
    }
}
