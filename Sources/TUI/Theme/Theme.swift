/// How one role looks: colours (nil keeps the terminal's own) and attributes.
public struct RoleStyle: Sendable, Hashable {
    public var foreground: RGB?
    public var background: RGB?
    public var bold = false
    public var dim = false
    public var underline = false
    public var reverse = false

    public init(foreground: RGB? = nil, background: RGB? = nil, bold: Bool = false, dim: Bool = false,
                underline: Bool = false, reverse: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.underline = underline
        self.reverse = reverse
    }
}

/// The colours of every role the UI draws with.
public struct Theme: Sendable, Hashable {
    public var name: String
    /// The screen's background colour; nil keeps the terminal's.
    public var background: RGB?
    public var styles: [StyleRole: RoleStyle]

    public init(name: String, background: RGB?, styles: [StyleRole: RoleStyle]) {
        self.name = name
        self.background = background
        self.styles = styles
    }

    public func style(_ role: StyleRole) -> RoleStyle {
        styles[role] ?? RoleStyle()
    }

    /// The roles a theme file must give (those the issue names), and the roles it may give,
    /// with the role each falls back to.
    public static let requiredRoles: [String] = [
        "background", "text", "dim", "accent", "leader", "follower", "candidate", "down",
        "committed", "uncommitted", "warning", "error", "border",
    ]
    public static let optionalRoles: [StyleRole: StyleRole] = [.title: .accent, .applied: .text, .selection: .accent, .bar: .accent]

    /// How each role shows without colour (`NO_COLOR`, monochrome terminals): by weight alone.
    public static let monochromeStyles: [StyleRole: RoleStyle] = [
        .text: RoleStyle(), .dim: RoleStyle(dim: true), .accent: RoleStyle(bold: true), .border: RoleStyle(dim: true),
        .title: RoleStyle(bold: true), .leader: RoleStyle(bold: true), .follower: RoleStyle(),
        .candidate: RoleStyle(underline: true), .down: RoleStyle(dim: true), .applied: RoleStyle(),
        .committed: RoleStyle(bold: true), .uncommitted: RoleStyle(dim: true), .warning: RoleStyle(bold: true),
        .error: RoleStyle(bold: true, reverse: true), .selection: RoleStyle(reverse: true), .bar: RoleStyle(),
    ]

    /// The theme used when no theme file can be read: the same colours as Themes/default.toml.
    public static let builtIn: Theme = {
        let fg = RGB(0xd0, 0xd0, 0xd0)
        return Theme(name: "default", background: nil, styles: [
            .text: RoleStyle(foreground: fg),
            .dim: RoleStyle(foreground: RGB(0x80, 0x80, 0x80)),
            .accent: RoleStyle(foreground: RGB(0x5f, 0xaf, 0xff)),
            .border: RoleStyle(foreground: RGB(0x58, 0x58, 0x58)),
            .title: RoleStyle(foreground: RGB(0x5f, 0xaf, 0xff), bold: true),
            .leader: RoleStyle(foreground: RGB(0xff, 0xd7, 0x00), bold: true),
            .follower: RoleStyle(foreground: fg),
            .candidate: RoleStyle(foreground: RGB(0xff, 0x87, 0xff)),
            .down: RoleStyle(foreground: RGB(0xd7, 0x5f, 0x5f)),
            .applied: RoleStyle(foreground: RGB(0x87, 0xd7, 0x87)),
            .committed: RoleStyle(foreground: RGB(0x5f, 0xd7, 0xd7)),
            .uncommitted: RoleStyle(foreground: RGB(0xd7, 0xaf, 0x5f)),
            .warning: RoleStyle(foreground: RGB(0xff, 0xaf, 0x00)),
            .error: RoleStyle(foreground: RGB(0xff, 0x5f, 0x5f), bold: true),
            .selection: RoleStyle(foreground: RGB(0x00, 0x00, 0x00), background: RGB(0x5f, 0xaf, 0xff)),
            .bar: RoleStyle(foreground: RGB(0x5f, 0xaf, 0xff)),
        ])
    }()
}
