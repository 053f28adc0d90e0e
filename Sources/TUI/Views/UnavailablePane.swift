/// A pane an external cluster cannot fill, saying so instead of staying blank.
enum UnavailablePane {
    static let reason = "not available when attached to an external cluster"

    static func render(title: String, what: String, why: String, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        canvas.box(area, title: title)
        let inner = area.inset(1)
        let lines = wrap("\(what): \(reason)", width: inner.width) + wrap("(\(why))", width: inner.width)
        for (row, line) in lines.prefix(inner.height).enumerated() {
            canvas.write(line, x: inner.x, y: inner.y + row, role: .dim, clip: inner)
        }
    }

    /// `text` in lines of at most `width` characters, broken between words.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
