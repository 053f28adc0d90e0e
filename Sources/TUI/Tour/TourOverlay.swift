import Cluster

/// The tour's caption: a box over the ordinary screen with the stage, etcd's function and file,
/// and the caption wrapped to fit (never cut); the screen areas the stage names are lit up.
enum TourOverlay {
    static let keysHint = " space/n next · b back · q leave "

    static func render(_ tour: TourView, _ snapshot: ClusterSnapshot, _ state: UIState, layout: Layout, into canvas: inout Canvas) {
        let lit = tour.areas.flatMap { rects(for: $0, snapshot, state, layout: layout) }
        for rect in lit { canvas.restyle(rect, role: .selection) }

        // Over the events pane when it is wide enough, else across the bottom or just below
        // the members table: wherever it hides least of what the stage lights up, then of the
        // WAL and the members table (which stay in view whenever they can).
        var candidates: [Rect] = []
        if let events = layout.events, events.width >= 60 {
            let lines = lines(tour, width: events.width - 4)
            candidates.append(Rect(x: events.x, y: layout.status.y - lines.count - 2, width: events.width, height: lines.count + 2))
        }
        let width = boxWidth(canvasWidth: canvas.width)
        let height = lines(tour, width: width - 4).count + 2
        let x = canvas.width - width
        candidates.append(Rect(x: x, y: layout.status.y - height, width: width, height: height))
        candidates.append(Rect(x: x, y: layout.members.maxY, width: width, height: height))
        func cost(_ box: Rect) -> Int { 100 * overlap(box, lit) + 10 * overlap(box, [layout.members]) + overlap(box, [layout.wal]) }
        let box = candidates.min { cost($0) < cost($1) }!
        let lines = lines(tour, width: box.width - 4)
        canvas.fill(box, role: .text)
        let elapsed = "t+\(Format.millis(nanos: tour.elapsedNanos)) ms"
        canvas.box(box, title: "tour: \(tour.title) · stage \(tour.stageNumber) of \(tour.stageCount) · \(elapsed)", role: .accent)
        if box.width > keysHint.count + 4 {
            canvas.write(keysHint, x: box.maxX - keysHint.count - 2, y: box.maxY - 1, role: .accent)
        }
        for (i, line) in lines.enumerated() {
            var column = box.x + 2
            for (text, role) in line {
                column = canvas.write(text, x: column, y: box.y + 1 + i, role: role, clip: box.inset(1))
            }
        }
    }

    static func boxWidth(canvasWidth: Int) -> Int {
        min(canvasWidth, 84)
    }

    /// The caption box's lines, each as pieces with their roles: etcd's functions and file
    /// (on one line when they fit), then the caption, wrapped to `width`.
    static func lines(_ tour: TourView, width: Int) -> [[(String, StyleRole)]] {
        var out: [[(String, StyleRole)]]
        if tour.functions.count + 3 + tour.file.count <= width {
            out = [[(tour.functions, .accent), ("   " + tour.file, .dim)]]
        } else {
            out = wrap(tour.functions, width: width).map { [($0, .accent)] } + wrap(tour.file, width: width).map { [($0, .dim)] }
        }
        return out + wrap(tour.caption, width: width).map { [($0, .text)] }
    }

    /// Cells of `rect` under any of `lit`.
    static func overlap(_ rect: Rect, _ lit: [Rect]) -> Int {
        lit.reduce(0) { total, r in
            let w = min(rect.maxX, r.maxX) - max(rect.x, r.x)
            let h = min(rect.maxY, r.maxY) - max(rect.y, r.y)
            return total + (w > 0 && h > 0 ? w * h : 0)
        }
    }

    /// `text` in lines of at most `width` characters, broken between words; a word longer than
    /// a line is split across lines, so nothing is ever cut.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [text] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            var word = String(word)
            if !line.isEmpty && line.count + 1 + word.count <= width {
                line += " " + word
                continue
            }
            if !line.isEmpty { lines.append(line) }
            while word.count > width {
                lines.append(String(word.prefix(width)))
                word = String(word.dropFirst(width))
            }
            line = word
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// The detail pane an area is in, for the narrow layout to show it.
    static func detailPane(for area: TourArea) -> DetailPane? {
        switch area {
        case .messagesPane: .messages
        case .tracePane, .traceRow: .trace
        default: nil
        }
    }

    /// Where `area` is on the screen; empty when it is not shown.
    static func rects(for area: TourArea, _ snapshot: ClusterSnapshot, _ state: UIState, layout: Layout) -> [Rect] {
        let table = layout.members.inset(1)
        func row(_ id: NodeID) -> Rect? {
            guard let i = snapshot.members.firstIndex(where: { $0.id == id }), table.y + 1 + i < table.maxY else { return nil }
            return Rect(x: table.x, y: table.y + 1 + i, width: table.width, height: 1)
        }
        func column(_ title: String) -> Rect? {
            let alarms = snapshot.members.contains { !($0.status?.alarms.isEmpty ?? true) }
            let hasAuth = snapshot.members.contains { ($0.status?.auth.revision ?? 1) > 1 }
            var x = table.x
            for col in MembersTable.visibleColumns(width: layout.members.width, auth: hasAuth, alarms: alarms) {
                if col.title == title { return Rect(x: x, y: table.y, width: min(col.width, table.maxX - x), height: table.height) }
                x += col.width + 1
            }
            return nil
        }
        func pane(_ wide: Rect?, _ detail: DetailPane) -> Rect? {
            wide ?? (state.detailPane == detail ? layout.detail : nil)
        }
        switch area {
        case .header: return [layout.header]
        case .memberRow(let id): return row(id).map { [$0] } ?? []
        case .memberColumn(let title): return column(title).map { [$0] } ?? []
        case .memberCell(let id, let title):
            guard let r = row(id), let c = column(title) else { return [] }
            return [Rect(x: c.x, y: r.y, width: c.width, height: 1)]
        case .walPane: return [layout.wal]
        case .walMember(let id):
            guard let i = snapshot.members.firstIndex(where: { $0.id == id }) else { return [] }
            let columns = layout.wal.inset(1).columns(max(1, snapshot.members.count))
            return columns.indices.contains(i) ? [columns[i]] : []
        case .messagesPane: return pane(layout.messages, .messages).map { [$0] } ?? []
        case .tracePane: return pane(layout.trace, .trace).map { [$0] } ?? []
        case .traceRow(let label):
            let list = TraceList.merged(snapshot.traces, state)
            guard let area = pane(layout.trace, .trace), let trace = TraceList.shown(in: list, state) else { return [] }
            let inner = area.inset(1)
            let plan = TracePane.plan(trace, members: snapshot.members.map(\.id), listCount: list.count, inner: inner)
            // The pane draws the leader's stages on its first rows, one row per follower, and the
            // commit, apply and answer on its last rows.
            let rows: [Int]
            if label.hasPrefix("ack from m"), let id = NodeID(label.dropFirst("ack from m".count)),
               let i = plan.marks.followers.firstIndex(where: { $0.id == id }), plan.rows.followers.indices.contains(i) {
                rows = [plan.rows.followers[i]]
            } else if ["committed", "applied", "responded"].contains(label) {
                rows = plan.rows.footer
            } else {
                rows = plan.rows.leader
            }
            return rows.map { Rect(x: inner.x, y: inner.y + $0, width: inner.width, height: 1) }
        }
    }
}
