/// A colour as a theme names it, in 24-bit RGB.
public struct RGB: Sendable, Hashable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// Parses `#rrggbb` or `#rgb`.
    public init?(hex: String) {
        guard hex.first == "#" else { return nil }
        var digits = String(hex.dropFirst())
        if digits.count == 3 { digits = digits.map { "\($0)\($0)" }.joined() }
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        self.init(UInt8(value >> 16), UInt8((value >> 8) & 0xff), UInt8(value & 0xff))
    }

    public var description: String {
        "#" + [red, green, blue].map { String($0, radix: 16).leftPaddedHex() }.joined()
    }

    /// As one integer, the way direct-colour terminals number colours.
    public var packed: Int { Int(red) << 16 | Int(green) << 8 | Int(blue) }

    func distanceSquared(to other: RGB) -> Int {
        let dr = Int(red) - Int(other.red)
        let dg = Int(green) - Int(other.green)
        let db = Int(blue) - Int(other.blue)
        // Weighted for the eye's sensitivity, which keeps greens from turning grey.
        return 3 * dr * dr + 4 * dg * dg + 2 * db * db
    }
}

/// How many colours the terminal can show; themes are reduced to fit.
public enum ColorDepth: Int, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// No colour: `NO_COLOR` is set or the terminal has none. Roles show as bold, dim, reverse.
    case monochrome
    case eight
    case palette256
    case trueColor

    public static func < (a: ColorDepth, b: ColorDepth) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .monochrome: "no colour"
        case .eight: "8 colours"
        case .palette256: "256 colours"
        case .trueColor: "truecolor"
        }
    }

    /// The depth to use, from what terminfo reports and the environment (`NO_COLOR`, `COLORTERM`).
    public static func detect(terminalColors: Int, environment: [String: String]) -> ColorDepth {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .monochrome }
        if terminalColors >= 0x1000000 { return .trueColor }
        if terminalColors >= 256 { return .palette256 }
        if terminalColors >= 8 { return .eight }
        return .monochrome
    }
}

/// Maps RGB colours onto the palettes of lesser terminals.
public enum ColorReduction {
    /// The xterm 256-colour palette index nearest to `color` (the 6x6x6 cube or the grey ramp).
    public static func palette256(_ color: RGB) -> Int {
        let levels: [Int] = [0, 95, 135, 175, 215, 255]
        func nearestLevel(_ v: UInt8) -> Int {
            var best = 0
            for (i, level) in levels.enumerated() where abs(level - Int(v)) < abs(levels[best] - Int(v)) { best = i }
            return best
        }
        let (r, g, b) = (nearestLevel(color.red), nearestLevel(color.green), nearestLevel(color.blue))
        let cube = RGB(UInt8(levels[r]), UInt8(levels[g]), UInt8(levels[b]))
        let cubeIndex = 16 + 36 * r + 6 * g + b
        let average = (Int(color.red) + Int(color.green) + Int(color.blue)) / 3
        let greyStep = min(23, max(0, (average - 8 + 5) / 10))
        let greyLevel = UInt8(8 + 10 * greyStep)
        let grey = RGB(greyLevel, greyLevel, greyLevel)
        return grey.distanceSquared(to: color) < cube.distanceSquared(to: color) ? 232 + greyStep : cubeIndex
    }

    /// The eight ANSI colours as most terminals draw them.
    static let ansi: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0),
        RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
    ]

    /// The ANSI colour (0-7) nearest to `color`, judged by hue before brightness so that a
    /// muted theme colour keeps its hue on an 8-colour terminal.
    public static func eight(_ color: RGB) -> Int {
        let r = Int(color.red), g = Int(color.green), b = Int(color.blue)
        let high = max(r, g, b)
        let low = min(r, g, b)
        if high - low < 40 {
            return high < 110 ? 0 : 7
        }
        let threshold = low + (high - low) / 2
        let index = (r > threshold ? 1 : 0) | (g > threshold ? 2 : 0) | (b > threshold ? 4 : 0)
        if index == 7 { return 7 }
        return index == 0 ? 0 : index
    }
}

extension String {
    fileprivate func leftPaddedHex() -> String {
        count >= 2 ? self : String(repeating: "0", count: 2 - count) + self
    }
}
