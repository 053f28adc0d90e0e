import TOMLKit

/// Why a theme file could not be used, naming the file and, where there is one, the key.
public struct ThemeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// The key at fault, dotted (`roles.leader.fg`), or nil for an error in the file as a whole.
    public var key: String?
    public var message: String

    public var description: String {
        "theme \(file): " + (key.map { "\($0): " } ?? "") + message
    }
}

/// Reads themes written in TOML:
///
/// ```toml
/// name = "nord"
/// [palette]                     # names for colours, used by the roles below
/// frost = "#88c0d0"
/// [roles]                       # every role: a colour, or a table of fg, bg and attributes
/// text = "#d8dee9"
/// leader = { fg = "frost", bold = true }
/// background = "none"           # "none" keeps the terminal's own colour
/// ```
public enum ThemeFile {
    public static func parse(_ source: String, file: String) throws(ThemeError) -> Theme {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ThemeError(file: file, key: nil, message: "line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw ThemeError(file: file, key: nil, message: "not TOML: \(error)")
        }
        let name: String
        if let value = table["name"] {
            guard let text = value.string, !text.isEmpty else { throw ThemeError(file: file, key: "name", message: "must be a non-empty string") }
            name = text
        } else {
            name = Self.baseName(file)
        }

        var palette: [String: RGB] = [:]
        if let value = table["palette"] {
            guard let paletteTable = value.table else { throw ThemeError(file: file, key: "palette", message: "must be a table of colours") }
            for key in paletteTable.keys {
                guard let text = paletteTable[key]?.string, let color = RGB(hex: text) else {
                    throw ThemeError(file: file, key: "palette.\(key)", message: "must be a colour written #rrggbb")
                }
                palette[key] = color
            }
        }

        guard let rolesValue = table["roles"] else { throw ThemeError(file: file, key: "roles", message: "missing: a theme needs a [roles] table") }
        guard let roles = rolesValue.table else { throw ThemeError(file: file, key: "roles", message: "must be a table") }
        let known = Set(Theme.requiredRoles + StyleRole.allCases.map(\.rawValue))
        for key in roles.keys where !known.contains(key) {
            throw ThemeError(file: file, key: "roles.\(key)", message: "unknown role; roles are " + Theme.requiredRoles.joined(separator: ", ")
                + ", and optionally title, applied, selection, bar")
        }
        for key in Theme.requiredRoles where roles[key] == nil {
            throw ThemeError(file: file, key: "roles.\(key)", message: "missing")
        }

        let resolver = ColorResolver(file: file, palette: palette)
        let background = try resolver.optionalColor(roles["background"]!, key: "roles.background")
        var styles: [StyleRole: RoleStyle] = [:]
        for role in StyleRole.allCases {
            if let value = roles[role.rawValue] {
                styles[role] = try resolver.style(value, key: "roles.\(role.rawValue)")
            }
        }
        for (role, fallback) in Theme.optionalRoles where styles[role] == nil {
            styles[role] = styles[fallback]
        }
        if styles[.title] != nil && roles["title"] == nil { styles[.title]?.bold = true }
        if roles["selection"] == nil { styles[.selection] = RoleStyle(foreground: background ?? RGB(0, 0, 0), background: styles[.accent]?.foreground) }
        return Theme(name: name, background: background, styles: styles)
    }

    static func baseName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return file.hasSuffix(".toml") ? String(file.dropLast(5)) : file
    }
}

/// Turns the values of a theme's roles into colours and styles.
private struct ColorResolver {
    var file: String
    var palette: [String: RGB]

    func color(_ value: any TOMLValueConvertible, key: String) throws(ThemeError) -> RGB {
        guard let color = try optionalColor(value, key: key) else {
            throw ThemeError(file: file, key: key, message: "needs a colour here, not \"none\"")
        }
        return color
    }

    func optionalColor(_ value: any TOMLValueConvertible, key: String) throws(ThemeError) -> RGB? {
        guard let text = value.string else { throw ThemeError(file: file, key: key, message: "must be a colour: #rrggbb or a name from [palette]") }
        if text == "none" || text == "default" { return nil }
        if let color = RGB(hex: text) { return color }
        if let color = palette[text] { return color }
        throw ThemeError(file: file, key: key, message: "unknown colour '\(text)': neither #rrggbb nor a name in [palette]")
    }

    func style(_ value: any TOMLValueConvertible, key: String) throws(ThemeError) -> RoleStyle {
        if value.string != nil {
            return RoleStyle(foreground: try optionalColor(value, key: key))
        }
        guard let table = value.table else {
            throw ThemeError(file: file, key: key, message: "must be a colour or a table like { fg = \"#ffffff\", bold = true }")
        }
        var style = RoleStyle()
        for field in table.keys {
            let fieldKey = key + "." + field
            guard let fieldValue = table[field] else { continue }
            switch field {
            case "fg": style.foreground = try optionalColor(fieldValue, key: fieldKey)
            case "bg": style.background = try optionalColor(fieldValue, key: fieldKey)
            case "bold", "dim", "underline", "reverse":
                guard let flag = fieldValue.bool else { throw ThemeError(file: file, key: fieldKey, message: "must be true or false") }
                switch field {
                case "bold": style.bold = flag
                case "dim": style.dim = flag
                case "underline": style.underline = flag
                default: style.reverse = flag
                }
            default:
                throw ThemeError(file: file, key: fieldKey, message: "unknown field; a role takes fg, bg, bold, dim, underline, reverse")
            }
        }
        return style
    }
}
