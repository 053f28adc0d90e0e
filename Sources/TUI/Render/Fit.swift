/// Text fitted to a width: cut with an ellipsis, or wrapped at spaces. Views use these so no
/// message runs into what stands beside it or off the screen.
extension Format {
    /// `text` as it is when it fits in `width` cells, otherwise cut to `width - 1` and ended with `…`.
    static func ellipsized(_ text: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        let scalars = text.unicodeScalars
        guard scalars.count > width else { return text }
        var cut = String.UnicodeScalarView(scalars.prefix(width - 1))
        while cut.last == " " { cut.removeLast() }
        cut.append("…")
        return String(cut)
    }

    /// `text` broken into lines of at most `width` cells, at spaces where it can be, mid-word
    /// where a word alone is longer than a line.
    static func wrapped(_ text: String, _ width: Int) -> [String] {
        guard width > 0 else { return [] }
        // Text that fits keeps its spacing (a pane's example row lines up as it does there).
        if text.unicodeScalars.count <= width && !text.isEmpty { return [text] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            var word = word
            while word.unicodeScalars.count > width {
                if !line.isEmpty {
                    lines.append(line)
                    line = ""
                }
                let head = String(String.UnicodeScalarView(word.unicodeScalars.prefix(width)))
                lines.append(head)
                word = String(String.UnicodeScalarView(word.unicodeScalars.dropFirst(width)))
            }
            if word.isEmpty { continue }
            if line.isEmpty {
                line = word
            } else if line.unicodeScalars.count + 1 + word.unicodeScalars.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = word
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
