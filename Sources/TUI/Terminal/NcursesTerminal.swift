import CNcurses
import Foundation

/// Why the terminal could not be used.
public enum TerminalError: Error, Sendable, CustomStringConvertible {
    case notATerminal
    case unknownTerminal(String)

    public var description: String {
        switch self {
        case .notATerminal: "rafttop's screen needs a terminal: standard input and output must be a tty"
        case .unknownTerminal(let name): "the terminal type '\(name)' is unknown to terminfo; set TERM to one it knows, e.g. TERM=xterm-256color"
        }
    }
}

/// The only code that calls ncurses: starts and ends full-screen mode, sets the theme's colours,
/// draws the cells of a canvas that changed since the last frame, and reads keys.
/// ncurses is not thread-safe: one thread makes every call.
public final class NcursesTerminal {
    public private(set) var colorDepth: ColorDepth = .monochrome
    private var screen: OpaquePointer?
    private var previous: Canvas?
    /// Attributes and colour pair per role, set by `apply(theme:)`.
    private var looks: [StyleRole: (attributes: attr_t, pair: Int16)] = [:]
    private var stopped = false

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(TerminalError) {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw TerminalError.notATerminal }
        rt_setlocale_from_environment()
        TerminalRestore.saveModes()
        // newterm, unlike initscr, returns NULL for an unknown terminal instead of exiting.
        guard let screen = rt_newterm() else {
            throw TerminalError.unknownTerminal(environment["TERM"] ?? "(TERM not set)")
        }
        self.screen = screen
        set_term(screen)
        TerminalRestore.install(resetSequence: Self.resetSequence())
        raw()
        noecho()
        nonl()
        keypad(rt_stdscr(), true)
        intrflush(rt_stdscr(), false)
        set_escdelay(25)
        curs_set(0)
        // Clicks select members and puts (hold Shift to select text, as in other full-screen programs).
        rt_enable_mouse()
        if has_colors() {
            start_color()
            use_default_colors()
        }
        colorDepth = ColorDepth.detect(terminalColors: has_colors() ? Int(rt_colors()) : 0, environment: environment)
    }

    deinit {
        stop()
    }

    /// Ends full-screen mode and puts the terminal back as it was. Safe to call twice.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        curs_set(1)
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
        TerminalRestore.uninstall()
    }

    /// The terminal's size in cells.
    public var size: (width: Int, height: Int) {
        (Int(rt_cols()), Int(rt_lines()))
    }

    /// Sets the colours of every role from `theme`, reduced to what the terminal shows.
    public func apply(theme: Theme) {
        looks = [:]
        let canPair = colorDepth != .monochrome && has_colors()
        for (i, role) in StyleRole.allCases.enumerated() {
            let style = colorDepth == .monochrome ? (Theme.monochromeStyles[role] ?? RoleStyle()) : theme.style(role)
            var attributes = rt_a_normal()
            if style.bold { attributes |= rt_a_bold() }
            if style.dim { attributes |= rt_a_dim() }
            if style.underline { attributes |= rt_a_underline() }
            if style.reverse { attributes |= rt_a_reverse() }
            var pair: Int16 = 0
            if canPair {
                pair = Int16(i + 1)
                let (fg, bg) = colors(style, role: role, theme: theme)
                init_extended_pair(Int32(pair), fg, bg)
            }
            looks[role] = (attributes, pair)
        }
        previous = nil
    }

    /// A role's foreground and background at the terminal's depth (-1: the terminal's own),
    /// reduced so text stays readable against its background (see `ColorReduction.reduce`).
    private func colors(_ style: RoleStyle, role: StyleRole, theme: Theme) -> (Int32, Int32) {
        switch colorDepth {
        case .trueColor:
            return (style.foreground.map { Int32($0.packed) } ?? -1, (style.background ?? theme.background).map { Int32($0.packed) } ?? -1)
        case .palette256, .eight:
            let reduced = ColorReduction.reduce(style, themeBackground: theme.background, depth: colorDepth,
                                                minimum: Contrast.minimum(for: role))
            return (reduced.foreground.map(Int32.init) ?? -1, reduced.background.map(Int32.init) ?? -1)
        case .monochrome:
            return (-1, -1)
        }
    }

    /// Forgets what is on the screen so the next `draw` repaints everything.
    public func invalidate() {
        previous = nil
        clearok(rt_stdscr(), true)
    }

    /// Draws the cells that differ from the last frame, then updates the terminal.
    public func draw(_ canvas: Canvas) {
        let old = previous.flatMap { $0.width == canvas.width && $0.height == canvas.height ? $0 : nil }
        if old == nil { erase() }
        var run = [UInt8]()
        run.reserveCapacity(canvas.width * 4)
        for y in 0..<canvas.height {
            var x = 0
            while x < canvas.width {
                let cell = canvas[x, y]
                if let old, old[x, y] == cell {
                    x += 1
                    continue
                }
                // A run of changed cells of one role, drawn with one call.
                let start = x
                run.removeAll(keepingCapacity: true)
                while x < canvas.width {
                    let next = canvas[x, y]
                    guard next.role == cell.role, old.map({ $0[x, y] != next }) ?? true else { break }
                    run.append(contentsOf: String(next.scalar).utf8)
                    x += 1
                }
                let look = looks[cell.role] ?? (rt_a_normal(), 0)
                run.withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        rt_draw(Int32(y), Int32(start), chars.baseAddress, Int32(chars.count), look.attributes, look.pair)
                    }
                }
            }
        }
        wnoutrefresh(rt_stdscr())
        doupdate()
        previous = canvas
    }

    /// Waits up to `timeoutMillis` for a key; nil when none came.
    public func readKey(timeoutMillis: Int) -> Key? {
        wtimeout(rt_stdscr(), Int32(timeoutMillis))
        var code: wint_t = 0
        let kind = rt_get_wch(&code)
        if kind == rt_err() { return nil }
        if kind == rt_key_code_yes() && Int32(code) == rt_key_mouse() {
            var x: Int32 = 0
            var y: Int32 = 0
            return rt_read_click(&x, &y) == 1 ? .mouse(x: Int(x), y: Int(y)) : nil
        }
        if kind == rt_key_code_yes() { return Self.functionKey(Int32(code)) }
        guard let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
        return Key(scalar: scalar)
    }

    private static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_ENTER: .enter
        case KEY_BTAB: .backTab
        case rt_key_resize(): .resize
        default: nil
        }
    }

    /// What undoes full-screen mode, from terminfo: leave the alternate screen, show the cursor,
    /// reset attributes, leave keypad mode.
    private static func resetSequence() -> [UInt8] {
        var bytes: [UInt8] = []
        for capability in ["sgr0", "cnorm", "rmkx", "rmcup"] {
            if let value = rt_terminfo_string(capability) {
                bytes.append(contentsOf: Array(String(cString: value).utf8))
            }
        }
        bytes.append(UInt8(ascii: "\r"))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
