import Testing
@testable import TUI

/// Every theme FILE, read as shipped: each role drawn as text at least 4.5:1 against its
/// background and dim text at least 3:1 (WCAG 2), in true colour and after reduction to 256 and
/// to 8 colours; and borders that show on 8 colours.
@Suite struct ContrastTests {
    let catalog = ThemeCatalog(directories: [ThemeTests.themesDirectory])

    @Test func wcagRatiosAreComputedAsTheStandardSays() {
        #expect(abs(Contrast.ratio(RGB(0, 0, 0), RGB(255, 255, 255)) - 21) < 0.01)
        #expect(Contrast.ratio(RGB(0x77, 0x77, 0x77), RGB(255, 255, 255)) >= 4.47)
        #expect(Contrast.ratio(RGB(0x77, 0x77, 0x77), RGB(255, 255, 255)) < 4.5)
        #expect(Contrast.ratio(RGB(10, 20, 30), RGB(10, 20, 30)) == 1)
    }

    /// The ratio `role` reaches in `theme` at `depth`, as a reader sees it; nil when the role has
    /// no colour of its own (monochrome themes use the terminal's).
    static func ratio(_ theme: Theme, _ role: StyleRole, _ depth: ColorDepth) -> Double? {
        let style = theme.style(role)
        guard let fg = style.foreground else { return nil }
        if depth == .trueColor {
            return Contrast.ratio(fg, style.background ?? theme.background ?? Contrast.assumedBackground)
        }
        let reduced = ColorReduction.reduce(style, themeBackground: theme.background, depth: depth, minimum: Contrast.minimum(for: role))
        let seen = ColorReduction.seen(reduced, depth: depth)
        return seen.foreground.map { Contrast.ratio($0, seen.background) }
    }

    @Test func everyThemeFileIsReadableAtEveryDepth() throws {
        #expect(catalog.files.count >= 5)
        for (name, path) in catalog.files {
            let theme = try ThemeCatalog.read(path)
            for depth in [ColorDepth.trueColor, .palette256, .eight] {
                for role in Contrast.textRoles + [.dim] {
                    guard let ratio = Self.ratio(theme, role, depth) else { continue }
                    let minimum = role == .dim ? Contrast.dimMinimum : Contrast.textMinimum
                    let shown = Format.fixed(ratio, places: 2)
                    #expect(ratio >= minimum, "\(name) \(role) at \(depth): \(shown):1, needs \(minimum)")
                }
            }
        }
    }

    @Test func bordersShowWithEightColours() throws {
        for (name, path) in catalog.files {
            let theme = try ThemeCatalog.read(path)
            guard theme.style(.border).foreground != nil else { continue }
            let reduced = ColorReduction.reduce(theme.style(.border), themeBackground: theme.background, depth: .eight,
                                                minimum: Contrast.minimum(for: .border))
            let seen = ColorReduction.seen(reduced, depth: .eight)
            #expect(reduced.foreground != reduced.background && seen.foreground != seen.background, "\(name): border as its background")
            let ratio = Contrast.ratio(try #require(seen.foreground), seen.background)
            #expect(ratio >= Contrast.dimMinimum, "\(name) border on 8 colours: \(ratio):1")
        }
        // The grey of the default theme's borders was black on black before.
        let grey = RoleStyle(foreground: RGB(0x58, 0x58, 0x58))
        let reduced = ColorReduction.reduce(grey, themeBackground: nil, depth: .eight, minimum: Contrast.dimMinimum)
        #expect(ColorReduction.eight(RGB(0x58, 0x58, 0x58)) == 0, "the nearest ANSI colour is black")
        #expect(reduced.foreground == 7, "a grey border stays grey: white, not black, on a dark terminal")
    }

    @Test func textTooFaintForItsBackgroundIsReducedToOneThatReads() {
        // Red on black has 3.6:1 with the ANSI palette: 8 colours draw it as white on red.
        let red = RoleStyle(foreground: RGB(0xd7, 0x5f, 0x5f))
        let reduced = ColorReduction.reduce(red, themeBackground: nil, depth: .eight, minimum: Contrast.textMinimum)
        #expect(reduced.background == 1 && reduced.foreground == 7)
        let seen = ColorReduction.seen(reduced, depth: .eight)
        #expect(Contrast.ratio(seen.foreground!, seen.background) >= Contrast.textMinimum)
    }
}
