/// The `:` command line: the text being typed, a cursor, history and tab completion.
public struct CommandLineEditor: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case editing
        case submitted(String)
        case cancelled
    }

    public private(set) var text = ""
    /// The cursor, in characters from the start.
    public private(set) var cursor = 0
    public private(set) var history: [String] = []
    private var historyPosition: Int?
    /// What was typed before browsing history, restored when browsing goes past the newest.
    private var draft = ""
    static let historyCapacity = 100
    static let lengthMax = 4096

    public init(history: [String] = []) {
        self.history = history
    }

    /// Handles one key; `complete` lists the completions of a line.
    public mutating func handle(_ key: Key, complete: (String) -> [String] = { _ in [] }) -> Outcome {
        switch key {
        case .enter:
            let line = text.trimmingSpaces()
            if !line.isEmpty && history.last != line {
                history.append(line)
                if history.count > Self.historyCapacity { history.removeFirst() }
            }
            reset()
            return .submitted(line)
        case .escape, .control("c"), .control("g"):
            reset()
            return .cancelled
        case .backspace:
            if text.isEmpty { reset(); return .cancelled }
            if cursor > 0 {
                text.remove(at: index(cursor - 1))
                cursor -= 1
            }
        case .delete, .control("d"):
            if cursor < text.count { text.remove(at: index(cursor)) }
        case .left, .control("b"): cursor = max(0, cursor - 1)
        case .right, .control("f"): cursor = min(text.count, cursor + 1)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = text.count
        case .control("u"):
            text = String(text.dropFirst(cursor))
            cursor = 0
        case .control("k"):
            text = String(text.prefix(cursor))
        case .control("w"):
            deleteWordBeforeCursor()
        case .up, .control("p"): browseHistory(older: true)
        case .down, .control("n"): browseHistory(older: false)
        case .tab:
            completeLine(complete(text))
        case .character(let c):
            guard text.count < Self.lengthMax else { break }
            text.insert(c, at: index(cursor))
            cursor += 1
        default:
            break
        }
        return .editing
    }

    private mutating func reset() {
        text = ""
        cursor = 0
        historyPosition = nil
        draft = ""
    }

    private func index(_ offset: Int) -> String.Index {
        text.index(text.startIndex, offsetBy: offset)
    }

    private mutating func deleteWordBeforeCursor() {
        var start = cursor
        let chars = Array(text)
        while start > 0 && chars[start - 1] == " " { start -= 1 }
        while start > 0 && chars[start - 1] != " " { start -= 1 }
        text = String(chars[0..<start]) + String(chars[cursor...])
        cursor = start
    }

    private mutating func browseHistory(older: Bool) {
        guard !history.isEmpty else { return }
        var position: Int
        if let current = historyPosition {
            position = current + (older ? -1 : 1)
        } else {
            guard older else { return }
            draft = text
            position = history.count - 1
        }
        position = max(0, position)
        if position >= history.count {
            historyPosition = nil
            text = draft
        } else {
            historyPosition = position
            text = history[position]
        }
        cursor = text.count
    }

    /// One completion replaces the line; several extend it to their common prefix.
    private mutating func completeLine(_ candidates: [String]) {
        guard let first = candidates.first else { return }
        var common = first
        for c in candidates.dropFirst() {
            while !c.hasPrefix(common) { common.removeLast() }
        }
        if common.count > text.count {
            text = common
            cursor = text.count
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
