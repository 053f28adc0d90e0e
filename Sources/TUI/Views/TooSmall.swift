/// What a terminal smaller than the layout's minimum shows: the request for a larger one,
/// wrapped to fit, and shortened until it does (down to 20x5 it is read whole).
enum TooSmall {
    static func messages(width: Int, height: Int) -> [String] {
        let size = "\(Layout.minimumWidth)x\(Layout.minimumHeight)"
        return [
            "rafttop needs at least \(size) (this is \(width)x\(height)); q quits",
            "rafttop needs \(size) (this is \(width)x\(height)); q quits",
            "needs \(size), is \(width)x\(height); q quits",
            "needs \(size); q quits",
        ]
    }

    static func render(into canvas: inout Canvas) {
        let (width, height) = (canvas.width, canvas.height)
        let choices = messages(width: width, height: height)
        let lines = choices.map { Format.wrapped($0, width) }.first { $0.count <= height }
            ?? Format.wrapped(choices.last!, width)
        for (row, line) in lines.prefix(canvas.height).enumerated() {
            canvas.write(line, x: 0, y: row, role: .warning)
        }
    }
}
