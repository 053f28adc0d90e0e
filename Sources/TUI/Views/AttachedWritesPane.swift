import Cluster

/// In the WAL pane's place when attached: the members' logs cannot be seen from outside, so it
/// says so, then lists the keys rafttop wrote with the revision and term each landed at.
enum AttachedWritesPane {
    static func render(_ view: AttachedView, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        canvas.box(area, title: "WAL  /  keys written by rafttop (newest first)")
        let inner = area.inset(1)
        canvas.write("WAL entries: \(UnavailablePane.reason)", x: inner.x, y: inner.y, role: .dim, clip: inner)
        guard inner.height >= 2 else { return }
        guard !view.writes.isEmpty else {
            canvas.write("no puts yet: press p, or :put KEY VALUE", x: inner.x, y: inner.y + 1, role: .dim, clip: inner)
            return
        }
        for (row, write) in view.writes.prefix(inner.height - 1).enumerated() {
            let text = Format.padRight(write.key, 16) + Format.padLeft("\(write.valueBytes) B", 7) + "  revision " + Format.padRight(String(write.revision), 7)
                + " term " + Format.padRight(String(write.raftTerm), 4) + " via m\(write.via)  " + Format.millis(micros: write.latencyMicros) + " ms"
            canvas.write(text, x: inner.x, y: inner.y + 1 + row, role: .applied, clip: inner)
        }
    }
}
