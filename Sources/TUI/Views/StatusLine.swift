/// The bottom line: the command line while it is open, otherwise the last result and a hint.
enum StatusLine {
    static func render(_ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard !area.isEmpty else { return }
        canvas.fill(area, role: .text)
        if state.commandLineOpen || state.filterOpen {
            let editor = state.filterOpen ? state.filterLine : state.commandLine
            // Scroll so the cursor stays on screen.
            let visible = max(1, area.width - 2)
            let start = max(0, editor.cursor - visible + 1)
            let shown = String(editor.text.dropFirst(start).prefix(visible))
            canvas.write(state.filterOpen ? "/" : ":", x: area.x, y: area.y, role: .accent)
            canvas.write(shown, x: area.x + 1, y: area.y, role: .text, clip: area)
            let cursorX = area.x + 1 + editor.cursor - start
            if cursorX < area.maxX {
                canvas.restyle(Rect(x: cursorX, y: area.y, width: 1, height: 1), role: .selection)
            }
            return
        }
        let right = "m\(state.selected) selected │ theme \(state.themeName)"
        let rightX = area.maxX - right.count - 1
        if let status = state.status {
            let role: StyleRole = switch status.kind {
            case .info: .text
            case .warning: .warning
            case .error: .error
            }
            // Cut with an ellipsis where the right-hand status begins (the whole line without it).
            let room = (rightX > area.x + area.width / 2 ? rightX - 2 : area.maxX - 1) - (area.x + 1)
            canvas.write(Format.ellipsized(status.text, room), x: area.x + 1, y: area.y, role: role, clip: area)
        } else {
            let hint = state.attached ? "p put  l load  + - rate  1-9 select  : command  ? help  q quit"
                : "p put  l load  K kill leader  1-9 select  : command  ? help  q quit"
            canvas.write(hint, x: area.x + 1, y: area.y, role: .dim,
                         clip: Rect(x: area.x, y: area.y, width: max(0, rightX - 1 - area.x), height: 1))
        }
        if rightX > area.x + area.width / 2 {
            canvas.write(right, x: rightX, y: area.y, role: .dim, clip: area)
        }
    }
}
