/// A key press, as the backend decodes it from the terminal.
public enum Key: Sendable, Hashable {
    /// A printable character.
    case character(Character)
    /// Ctrl with a letter, given in lower case: `.control("c")` is Ctrl-C.
    case control(Character)
    case enter, escape, backspace, delete, tab, backTab
    case up, down, left, right, home, end, pageUp, pageDown
    /// The terminal changed size.
    case resize
    /// A click of the first mouse button at a cell (column, row from the top left).
    case mouse(x: Int, y: Int)

    /// A key from a Unicode scalar read from the terminal in raw mode.
    public init(scalar: Unicode.Scalar) {
        switch scalar.value {
        case 9: self = .tab
        case 10, 13: self = .enter
        case 27: self = .escape
        case 8, 127: self = .backspace
        case 1...26: self = .control(Character(Unicode.Scalar(scalar.value + 96)!))
        default: self = .character(Character(scalar))
        }
    }
}
