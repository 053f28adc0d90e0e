import Foundation

/// WCAG 2 contrast: relative luminance of sRGB colours and the ratio between two, (L1 + 0.05) /
/// (L2 + 0.05). Text needs 4.5:1 to be readable, dim text and borders 3:1. The reduction to 256
/// and 8 colours keeps these ratios where the terminal's palette allows.
public enum Contrast {
    public static let textMinimum = 4.5
    public static let dimMinimum = 3.0

    /// The roles drawn as text, which need `textMinimum`.
    public static let textRoles: [StyleRole] = [
        .text, .accent, .title, .leader, .follower, .candidate, .down, .applied, .committed, .warning, .error,
    ]

    /// What a theme with no background colour ("none") is read against: the dark terminal the
    /// default theme is made for.
    public static let assumedBackground = RGB(0, 0, 0)

    /// The ratio `role` must reach against its background, or nil when it carries no text.
    public static func minimum(for role: StyleRole) -> Double? {
        if textRoles.contains(role) { return textMinimum }
        if role == .dim || role == .border { return dimMinimum }
        return nil
    }

    public static func luminance(_ c: RGB) -> Double {
        func channel(_ v: UInt8) -> Double {
            let s = Double(v) / 255
            return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(c.red) + 0.7152 * channel(c.green) + 0.0722 * channel(c.blue)
    }

    public static func ratio(_ a: RGB, _ b: RGB) -> Double {
        let (la, lb) = (luminance(a), luminance(b))
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }
}

/// A role's colours as the terminal gets them: palette indices, nil for the terminal's own.
public struct ReducedColors: Sendable, Hashable {
    public var foreground: Int?
    public var background: Int?
}

extension ColorReduction {
    /// The colour the xterm 256-colour palette gives index `i` (16-255; 0-15 as the ANSI eight,
    /// bright ones as the normal).
    public static func rgb256(_ i: Int) -> RGB {
        if i < 16 { return ansi[i % 8] }
        if i >= 232 {
            let level = UInt8(8 + 10 * (i - 232))
            return RGB(level, level, level)
        }
        let levels: [UInt8] = [0, 95, 135, 175, 215, 255]
        let n = i - 16
        return RGB(levels[n / 36], levels[(n / 6) % 6], levels[n % 6])
    }

    /// The colours of one role at `depth`. The foreground is the nearest the palette has; when
    /// that falls short of `minimum` against the background (a grey border on black with 8
    /// colours, red text on black), the nearest colour that reaches it; with 8 colours, failing
    /// that, the role's colour as the background under black or white text.
    public static func reduce(_ style: RoleStyle, themeBackground: RGB?, depth: ColorDepth, minimum: Double?) -> ReducedColors {
        let nearest: (RGB) -> Int = depth == .eight ? { eight($0) } : { palette256($0) }
        let paletteRGB: (Int) -> RGB = depth == .eight ? { ansi[$0] } : { rgb256($0) }
        let indices = depth == .eight ? Array(0..<8) : Array(16..<256)
        let backgroundRGB = style.background ?? themeBackground
        let background = backgroundRGB.map(nearest)
        guard let fg = style.foreground else { return ReducedColors(foreground: nil, background: background) }
        let first = nearest(fg)
        guard let minimum else { return ReducedColors(foreground: first, background: background) }
        let behind = background.map(paletteRGB) ?? Contrast.assumedBackground
        if Contrast.ratio(paletteRGB(first), behind) >= minimum { return ReducedColors(foreground: first, background: background) }
        // A grey stays grey: black, white, or a grey of the 256 palette's ramp.
        let grey = Int(max(fg.red, fg.green, fg.blue)) - Int(min(fg.red, fg.green, fg.blue)) < 40
        let candidates = indices.filter { i in
            let c = paletteRGB(i)
            let isGrey = Int(max(c.red, c.green, c.blue)) - Int(min(c.red, c.green, c.blue)) < 40
            return (!grey || isGrey) && Contrast.ratio(c, behind) >= minimum
        }
        if depth == .eight {
            let under = paletteRGB(first)
            let text = [0, 7].max { Contrast.ratio(ansi[$0], under) < Contrast.ratio(ansi[$1], under) }!
            if !grey && Contrast.ratio(ansi[text], under) >= minimum { return ReducedColors(foreground: text, background: first) }
        }
        if let best = candidates.min(by: { paletteRGB($0).distanceSquared(to: fg) < paletteRGB($1).distanceSquared(to: fg) }) {
            return ReducedColors(foreground: best, background: background)
        }
        let strongest = indices.max { Contrast.ratio(paletteRGB($0), behind) < Contrast.ratio(paletteRGB($1), behind) }!
        return ReducedColors(foreground: strongest, background: background)
    }

    /// The colours `reduce` gives, as RGB, with the assumed background for the terminal's own:
    /// what a reader sees, for checking contrast.
    public static func seen(_ reduced: ReducedColors, depth: ColorDepth) -> (foreground: RGB?, background: RGB) {
        let paletteRGB: (Int) -> RGB = depth == .eight ? { ansi[$0] } : { rgb256($0) }
        return (reduced.foreground.map(paletteRGB), reduced.background.map(paletteRGB) ?? Contrast.assumedBackground)
    }
}
