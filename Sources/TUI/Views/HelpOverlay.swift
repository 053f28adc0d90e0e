/// The `?` overlay: one help page (see HelpPages), scrolled, in a box over the screen. Every key
/// and command is on the index page; each pane's legend has a page of its own.
enum HelpOverlay {
    /// The box help takes in `area`: nearly all of it, at most 100 columns wide.
    static func box(in area: Rect) -> Rect {
        let width = min(area.width, 100)
        return Rect(x: area.x + (area.width - width) / 2, y: area.y, width: width, height: area.height)
    }

    /// How many lines of a page show at once on a screen `rows` high.
    static func visibleLines(screenRows: Int) -> Int {
        max(1, screenRows - 2 - 2)
    }

    /// The furthest a page of `lineCount` lines scrolls on a screen `rows` high.
    static func maxScroll(lineCount: Int, screenRows: Int) -> Int {
        max(0, lineCount - visibleLines(screenRows: screenRows))
    }

    static func termWidth(_ page: HelpPage) -> Int { page == .index ? 16 : 14 }

    /// The lines of `page` as drawn on a screen `screenColumns` wide: paragraphs and meanings
    /// wrapped to the box, a wrapped meaning going on under itself.
    static func displayLines(_ page: HelpPage, attached: Bool, launched: Bool = false, screenColumns: Int) -> [HelpLine] {
        let inner = box(in: Rect(x: 0, y: 0, width: screenColumns, height: 1)).width - 2
        let meaningWidth = max(10, inner - 2 - termWidth(page))
        // Consecutive paragraph lines are one paragraph, and a meaning's continuation lines one
        // meaning, each wrapped as a whole.
        var merged: [HelpLine] = []
        for line in HelpPages.lines(page, attached: attached, launched: launched) {
            let continues = line.isParagraph || (line.term.isEmpty && !line.meaning.isEmpty && !line.isHeading)
            if continues, let last = merged.last, last.isParagraph == line.isParagraph, !last.isHeading, !last.meaning.isEmpty {
                merged[merged.count - 1].meaning += " " + line.meaning
            } else {
                merged.append(line)
            }
        }
        var out: [HelpLine] = []
        for line in merged {
            if line.isHeading || line.meaning.isEmpty {
                out.append(line)
            } else if line.isParagraph {
                out += Format.wrapped(line.meaning, max(10, inner - 1)).map { HelpLine.text($0) }
            } else {
                for (i, part) in Format.wrapped(line.meaning, meaningWidth).enumerated() {
                    out.append(HelpLine(term: i == 0 ? line.term : "", meaning: part))
                }
            }
        }
        return out
    }

    static func render(_ state: UIState, into canvas: inout Canvas, area: Rect) {
        let lines = displayLines(state.helpPage, attached: state.attached, launched: state.launched, screenColumns: area.width)
        let box = box(in: area)
        let inner = box.inset(1)
        guard inner.height >= 1 else { return }
        let scroll = min(max(0, state.helpScroll), max(0, lines.count - inner.height))
        canvas.fill(box, role: .text)
        let end = min(lines.count, scroll + inner.height)
        let position = lines.count > inner.height ? "  \(scroll + 1)-\(end) of \(lines.count)" : ""
        canvas.box(box, title: "help: \(state.helpPage.title)\(position)  (q esc close)", role: .accent)
        let termWidth = termWidth(state.helpPage)
        for (row, line) in lines[scroll..<end].enumerated() {
            let y = inner.y + row
            if line.isHeading {
                canvas.write(line.term, x: inner.x + 1, y: y, role: .title, clip: inner)
            } else if line.isParagraph {
                canvas.write(line.meaning, x: inner.x + 1, y: y, role: .text, clip: inner)
            } else {
                canvas.write(Format.padRight(line.term, termWidth), x: inner.x + 1, y: y, role: .accent, clip: inner)
                canvas.write(line.meaning, x: inner.x + 2 + termWidth, y: y, role: .text, clip: inner)
            }
        }
        if end < lines.count {
            canvas.write(" more: down, pgdn ", x: box.maxX - 20, y: box.maxY - 1, role: .accent, clip: box)
        }
    }
}
