import Foundation
import Testing
@testable import TUI

@Suite struct ThemeTests {
    static let themesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Themes").path

    let catalog = ThemeCatalog(directories: [ThemeTests.themesDirectory])

    @Test func shipsAtLeastFiveThemesThatAllParse() throws {
        #expect(catalog.names.count >= 5)
        for name in ["default", "light", "solarized-dark", "nord", "dracula", "monochrome"] {
            #expect(catalog.names.contains(name))
        }
        for (name, path) in catalog.files {
            let theme = try ThemeCatalog.read(path)
            #expect(theme.name == name)
            for role in StyleRole.allCases { #expect(theme.styles[role] != nil, "\(name) gives \(role)") }
        }
    }

    @Test func defaultFileMatchesTheBuiltInTheme() throws {
        #expect(try ThemeCatalog.read(Self.themesDirectory + "/default.toml") == Theme.builtIn)
    }

    @Test func roleTablesCarryColoursAndAttributes() throws {
        let theme = try ThemeFile.parse("""
            [palette]
            gold = "#ffd700"
            [roles]
            background = "#101010"
            text = "#eee"
            dim = "#808080"
            accent = "gold"
            leader = { fg = "gold", bg = "#000000", bold = true, underline = true }
            follower = "none"
            candidate = "#ff00ff"
            down = "#ff0000"
            committed = "#00ffff"
            uncommitted = { fg = "#aaaa00", dim = true }
            warning = "#ffaa00"
            error = { fg = "#ff0000", reverse = true }
            border = "#333333"
            """, file: "t.toml")
        #expect(theme.name == "t")
        #expect(theme.background == RGB(0x10, 0x10, 0x10))
        #expect(theme.style(.text).foreground == RGB(0xee, 0xee, 0xee))
        #expect(theme.style(.leader) == RoleStyle(foreground: RGB(0xff, 0xd7, 0), background: RGB(0, 0, 0), bold: true, underline: true))
        #expect(theme.style(.follower).foreground == nil)
        #expect(theme.style(.title).bold, "an optional role falls back, bold for titles")
        #expect(theme.style(.applied) == theme.style(.text))
    }

    /// Each malformed file and the key its message must name.
    static let malformed: [(source: String, key: String?, says: String)] = [
        ("name = \"x\"\n[roles\ntext = 1", nil, "line 2"),
        ("[palette]\nred = \"#ff00\"\n[roles]\n", "palette.red", "#rrggbb"),
        ("[roles]\ntext = \"#ffffff\"", "roles.background", "missing"),
        (complete(replacing: "leader", with: "leader = \"golden\""), "roles.leader", "unknown colour 'golden'"),
        (complete(replacing: "error", with: "error = { fg = \"#ff0000\", bold = \"yes\" }"), "roles.error.bold", "true or false"),
        (complete(replacing: "border", with: "border = { colour = \"#ff0000\" }"), "roles.border.colour", "unknown field"),
        (complete(replacing: "dim", with: "dim = 3"), "roles.dim", "must be a colour"),
        (complete(replacing: "text", with: "text = \"#ffffff\"\nsparkle = \"#ffffff\""), "roles.sparkle", "unknown role"),
        ("roles = 5", "roles", "must be a table"),
        ("name = \"\"\n[roles]", "name", "non-empty"),
    ]

    static func complete(replacing role: String, with line: String) -> String {
        let roles = Theme.requiredRoles.map { $0 == role ? line : "\($0) = \"#808080\"" }
        return "[roles]\n" + roles.joined(separator: "\n")
    }

    @Test(arguments: 0..<malformed.count)
    func malformedThemeNamesFileAndKey(index: Int) {
        let (source, key, says) = Self.malformed[index]
        do {
            _ = try ThemeFile.parse(source, file: "Themes/broken.toml")
            Issue.record("parsed a malformed theme: \(source)")
        } catch {
            #expect(error.file == "Themes/broken.toml")
            #expect(error.key == key)
            #expect(error.description.contains("Themes/broken.toml"))
            #expect(error.description.contains(says), "\(error.description)")
            if let key { #expect(error.description.contains(key)) }
        }
    }

    @Test func aBrokenThemeFileFallsBackToTheDefaultWithAMessage() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("broken.toml").path
        try Self.complete(replacing: "leader", with: "leader = \"nope\"").write(toFile: broken, atomically: true, encoding: .utf8)
        let (theme, problem) = catalog.load(broken)
        #expect(theme == Theme.builtIn)
        #expect(problem?.contains(broken) == true)
        #expect(problem?.contains("roles.leader") == true)
        #expect(problem?.contains("using the default") == true)

        let (_, unknown) = catalog.load("no-such-theme")
        #expect(unknown?.contains("no theme named 'no-such-theme'") == true)
        let (_, missing) = catalog.load(dir.appendingPathComponent("absent.toml").path)
        #expect(missing?.contains("cannot be read") == true)
    }

    @Test func cyclingVisitsEveryThemeAndWraps() {
        var name = "default"
        var seen: [String] = []
        for _ in catalog.names {
            name = catalog.name(after: name)!
            seen.append(name)
        }
        #expect(Set(seen) == Set(catalog.names))
        #expect(seen.last == "default")
    }

    @Test func coloursDegradeTo256And8() {
        #expect(ColorReduction.palette256(RGB(0, 0, 0)) == 16)
        #expect(ColorReduction.palette256(RGB(255, 255, 255)) == 231)
        #expect(ColorReduction.palette256(RGB(0xff, 0xd7, 0x00)) == 220)
        #expect(ColorReduction.palette256(RGB(0x80, 0x80, 0x80)) == 244)
        #expect(ColorReduction.eight(RGB(0xff, 0x5f, 0x5f)) == 1)
        #expect(ColorReduction.eight(RGB(0x87, 0xd7, 0x87)) == 2)
        #expect(ColorReduction.eight(RGB(0xff, 0xd7, 0x00)) == 3)
        #expect(ColorReduction.eight(RGB(0x5f, 0xaf, 0xff)) == 4 || ColorReduction.eight(RGB(0x5f, 0xaf, 0xff)) == 6)
        #expect(ColorReduction.eight(RGB(0x10, 0x10, 0x10)) == 0)
        #expect(ColorReduction.eight(RGB(0xd0, 0xd0, 0xd0)) == 7)
    }

    @Test func colourDepthFollowsTheTerminalAndNoColor() {
        #expect(ColorDepth.detect(terminalColors: 0x1000000, environment: [:]) == .trueColor)
        #expect(ColorDepth.detect(terminalColors: 256, environment: [:]) == .palette256)
        #expect(ColorDepth.detect(terminalColors: 8, environment: [:]) == .eight)
        #expect(ColorDepth.detect(terminalColors: 2, environment: [:]) == .monochrome)
        #expect(ColorDepth.detect(terminalColors: 256, environment: ["NO_COLOR": "1"]) == .monochrome)
        #expect(ColorDepth.detect(terminalColors: 256, environment: ["NO_COLOR": ""]) == .palette256)
        for role in StyleRole.allCases { #expect(Theme.monochromeStyles[role] != nil) }
    }
}
