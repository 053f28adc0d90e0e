/// The `?` overlay: every key and every command, drawn from the key map and the command list.
enum HelpOverlay {
    static func lines() -> [(left: String, right: String, isHeading: Bool)] {
        var out: [(String, String, Bool)] = [("keys", "", true)]
        for binding in KeyMap.bindings {
            out.append((binding.keys, binding.help, false))
        }
        out.append(("", "", false))
        out.append((": commands", "", true))
        for command in CommandParser.commands {
            out.append((command.usage, command.help, false))
        }
        return out
    }

    static func render(into canvas: inout Canvas, area: Rect) {
        let all = lines()
        let keyLines = all.prefix { !($0.isHeading && $0.left.hasPrefix(":")) }
        let commandLines = all.dropFirst(keyLines.count)
        // Two columns (keys | commands) when the screen is wide enough, one otherwise.
        let twoColumns = area.width >= 100
        let columnWidth = twoColumns ? min(60, (area.width - 6) / 2) : min(70, area.width - 4)
        let rows = twoColumns ? max(keyLines.count, commandLines.count) : all.count
        let width = twoColumns ? columnWidth * 2 + 3 : columnWidth + 2
        let height = min(rows + 2, area.height)
        let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + max(0, (area.height - height) / 2), width: width, height: height)
        canvas.fill(box, role: .text)
        canvas.box(box, title: "help  (any key closes, q quits)", role: .accent)
        let inner = box.inset(1)
        let keyWidth = 16
        func draw(_ items: some Sequence<(left: String, right: String, isHeading: Bool)>, x: Int, width: Int) {
            var y = inner.y
            let clip = Rect(x: x, y: inner.y, width: width, height: inner.height)
            for item in items where y < inner.maxY {
                if item.isHeading {
                    canvas.write(item.left, x: x + 1, y: y, role: .title, clip: clip)
                } else {
                    canvas.write(Format.padRight(item.left, keyWidth), x: x + 1, y: y, role: .accent, clip: clip)
                    canvas.write(item.right, x: x + 2 + keyWidth, y: y, role: .text, clip: clip)
                }
                y += 1
            }
        }
        if twoColumns {
            draw(keyLines, x: inner.x, width: columnWidth)
            draw(commandLines, x: inner.x + columnWidth + 1, width: columnWidth)
        } else {
            draw(all, x: inner.x, width: inner.width)
        }
    }
}
