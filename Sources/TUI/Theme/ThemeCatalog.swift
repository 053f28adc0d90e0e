import Foundation

/// The theme files rafttop can find, by name, and loading one with a fall back to the default.
public struct ThemeCatalog: Sendable {
    /// Theme names to file paths, in name order.
    public private(set) var files: [(name: String, path: String)]

    public init(directories: [String]) {
        var found: [String: String] = [:]
        let fm = FileManager.default
        for dir in directories {
            guard let entries = try? fm.contentsOfDirectory(atPath: dir) else { continue }
            for entry in entries where entry.hasSuffix(".toml") {
                let name = ThemeFile.baseName(entry)
                if found[name] == nil { found[name] = dir + "/" + entry }
            }
        }
        files = found.sorted { a, b in
            // The default first, then by name.
            a.key == "default" ? true : b.key == "default" ? false : a.key < b.key
        }.map { (name: $0.key, path: $0.value) }
    }

    /// Where themes are looked for: `$RAFTTOP_THEMES`, ./Themes, and Themes/ beside or above
    /// the executable (so `.build/debug/rafttop` finds the repository's).
    public static func defaultDirectories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var dirs: [String] = []
        if let env = environment["RAFTTOP_THEMES"], !env.isEmpty { dirs.append(env) }
        dirs.append(FileManager.default.currentDirectoryPath + "/Themes")
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            dirs.append(dir.path + "/Themes")
            dir.deleteLastPathComponent()
        }
        return dirs
    }

    public var names: [String] { files.map(\.name) }

    /// The theme `nameOrPath` names (a name from the catalog, or a path to a .toml file). When it
    /// cannot be read, the default theme and a message saying why.
    public func load(_ nameOrPath: String) -> (theme: Theme, problem: String?) {
        switch find(nameOrPath) {
        case .success(let theme): (theme, nil)
        case .failure(let problem): (fallback(), problem.message + "; using the default")
        }
    }

    /// The theme `nameOrPath` names, or why it cannot be used (naming it), with no fall back: a
    /// theme asked for while another is showing must not replace it when it fails.
    public func find(_ nameOrPath: String) -> Result<Theme, CommandError> {
        let path: String
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            path = nameOrPath
        } else if let entry = files.first(where: { $0.name == nameOrPath }) {
            path = entry.path
        } else {
            let known = names.isEmpty ? "no theme files found" : "themes: " + names.joined(separator: ", ")
            return .failure(CommandError("no theme named '\(nameOrPath)' (\(known))"))
        }
        do {
            return .success(try Self.read(path))
        } catch {
            return .failure(CommandError("\(error)"))
        }
    }

    /// Reads and parses one theme file.
    public static func read(_ path: String) throws(ThemeError) -> Theme {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ThemeError(file: path, key: nil, message: "cannot be read")
        }
        guard let source = String(data: data, encoding: .utf8) else {
            throw ThemeError(file: path, key: nil, message: "is not UTF-8 text")
        }
        return try ThemeFile.parse(source, file: path)
    }

    /// The default theme file if it reads, the built-in theme otherwise.
    func fallback() -> Theme {
        if let entry = files.first(where: { $0.name == "default" }), let theme = try? Self.read(entry.path) { return theme }
        return .builtIn
    }

    /// The name after `current`, for cycling.
    public func name(after current: String) -> String? {
        guard !files.isEmpty else { return nil }
        let i = files.firstIndex { $0.name == current } ?? -1
        return files[(i + 1) % files.count].name
    }
}
