/// What a cell's colour and weight mean; a theme says how each looks.
public enum StyleRole: String, Sendable, Hashable, CaseIterable {
    case text, dim, accent, border, title
    case leader, follower, candidate, down
    case applied, committed, uncommitted
    case warning, error, selection, bar
}

/// One character cell of the screen.
public struct Cell: Sendable, Hashable {
    public var scalar: Unicode.Scalar
    public var role: StyleRole

    public static let blank = Cell(scalar: " ", role: .text)
}

/// A rectangle of the screen in cells.
public struct Rect: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }

    /// The rectangle less `by` cells on every side.
    public func inset(_ by: Int) -> Rect {
        Rect(x: x + by, y: y + by, width: width - 2 * by, height: height - 2 * by)
    }

    /// Splits off the top `rows` rows: (top, rest).
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let top = min(max(rows, 0), height)
        return (Rect(x: x, y: y, width: width, height: top), Rect(x: x, y: y + top, width: width, height: height - top))
    }

    /// Splits off the bottom `rows` rows: (rest, bottom).
    public func splitBottom(_ rows: Int) -> (Rect, Rect) {
        let bottom = min(max(rows, 0), height)
        return (Rect(x: x, y: y, width: width, height: height - bottom), Rect(x: x, y: y + height - bottom, width: width, height: bottom))
    }

    /// `count` columns side by side, the leftover cells going to the first ones.
    public func columns(_ count: Int) -> [Rect] {
        guard count > 0 else { return [] }
        let base = width / count
        let extra = width % count
        var out: [Rect] = []
        var left = x
        for i in 0..<count {
            let w = base + (i < extra ? 1 : 0)
            out.append(Rect(x: left, y: y, width: w, height: height))
            left += w
        }
        return out
    }

    /// Splits into a left part `leftWidth` wide and the rest.
    public func splitLeft(_ leftWidth: Int) -> (Rect, Rect) {
        let w = min(max(leftWidth, 0), width)
        return (Rect(x: x, y: y, width: w, height: height), Rect(x: x + w, y: y, width: width - w, height: height))
    }
}

/// A grid of cells that views draw into; the terminal backend flushes it, tests read its text.
public struct Canvas: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Writes `text` from (x, y), clipped to `clip` (the whole canvas by default); returns the
    /// column after the last cell written. Characters a terminal could draw two cells wide are
    /// shown as `?` so every character takes exactly one cell.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, role: StyleRole = .text, clip: Rect? = nil) -> Int {
        let area = clip ?? bounds
        guard y >= area.y, y < area.maxY, y >= 0, y < height else { return x }
        let limit = min(area.maxX, width)
        var column = x
        for scalar in text.unicodeScalars {
            if column >= limit { break }
            if column >= area.x && column >= 0 {
                cells[y * width + column] = Cell(scalar: Self.singleWidth(scalar), role: role)
            }
            column += 1
        }
        return column
    }

    /// Fills `rect` with `scalar`.
    public mutating func fill(_ rect: Rect, with scalar: Unicode.Scalar = " ", role: StyleRole = .text) {
        let cell = Cell(scalar: Self.singleWidth(scalar), role: role)
        for y in max(rect.y, 0)..<min(rect.maxY, height) where rect.x < width {
            for x in max(rect.x, 0)..<min(rect.maxX, width) {
                cells[y * width + x] = cell
            }
        }
    }

    /// Changes the role of the cells in `rect`, keeping their characters.
    public mutating func restyle(_ rect: Rect, role: StyleRole) {
        for y in max(rect.y, 0)..<min(rect.maxY, height) where rect.x < width {
            for x in max(rect.x, 0)..<min(rect.maxX, width) {
                cells[y * width + x].role = role
            }
        }
    }

    /// Draws a box around `rect` with `title` in its top edge.
    public mutating func box(_ rect: Rect, title: String = "", role: StyleRole = .border, titleRole: StyleRole = .title) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let right = rect.maxX - 1
        let bottom = rect.maxY - 1
        for x in rect.x + 1..<right {
            self[x, rect.y] = Cell(scalar: "─", role: role)
            self[x, bottom] = Cell(scalar: "─", role: role)
        }
        for y in rect.y + 1..<bottom {
            self[rect.x, y] = Cell(scalar: "│", role: role)
            self[right, y] = Cell(scalar: "│", role: role)
        }
        self[rect.x, rect.y] = Cell(scalar: "┌", role: role)
        self[right, rect.y] = Cell(scalar: "┐", role: role)
        self[rect.x, bottom] = Cell(scalar: "└", role: role)
        self[right, bottom] = Cell(scalar: "┘", role: role)
        if !title.isEmpty && rect.width > 4 {
            write(" \(title) ", x: rect.x + 1, y: rect.y, role: titleRole, clip: Rect(x: rect.x + 1, y: rect.y, width: rect.width - 2, height: 1))
        }
    }

    /// One row's characters, trailing blanks removed.
    public func line(_ y: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for x in 0..<width { scalars.append(cells[y * width + x].scalar) }
        var text = String(scalars)
        while text.last == " " { text.removeLast() }
        return text
    }

    /// The whole canvas as text, one line per row, trailing blanks removed: what render tests compare.
    public var text: String {
        (0..<height).map(line).joined(separator: "\n")
    }

    /// Scalars a terminal draws one cell wide: ASCII, Latin and the like, general punctuation,
    /// arrows, box drawing, blocks and geometric shapes. Anything else becomes `?`.
    static func singleWidth(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let v = scalar.value
        if v < 0x20 || v == 0x7f || (0x300...0x36F).contains(v) { return "?" }
        if v < 0x1100 || (0x2000...0x2BFF).contains(v) { return scalar }
        return "?"
    }
}
