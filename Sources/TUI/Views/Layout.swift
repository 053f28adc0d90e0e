/// Where each pane goes, computed from the terminal size every frame.
public struct Layout: Sendable, Hashable {
    public var header: Rect
    public var members: Rect
    public var wal: Rect
    /// In the wide layout every detail pane has a place; in the narrow one they share `detail`.
    public var latency: Rect?
    public var trace: Rect?
    public var messages: Rect?
    public var events: Rect?
    public var detail: Rect?
    public var status: Rect
    public var isWide: Bool

    /// Below this the screen shows only a request for a larger terminal.
    public static let minimumWidth = 60
    public static let minimumHeight = 16

    public static func compute(width: Int, height: Int, memberCount: Int) -> Layout {
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        let wide = width >= 100 && height >= 32
        let headerRows = width >= 110 ? 1 : 2
        var (header, rest) = screen.splitTop(headerRows)
        let status: Rect
        (rest, status) = rest.splitBottom(1)
        let members: Rect
        (members, rest) = rest.splitTop(memberCount + 3)
        if wide {
            let walRows = min(max(8, rest.height * 3 / 10), 16)
            let (wal, lower) = rest.splitTop(walRows)
            // The trace needs a row per stage (about 12 with three members); messages and events scroll.
            let (upper, bottom) = lower.splitTop(max(lower.height / 2, min(9 + memberCount, lower.height - 7)))
            let (latency, trace) = upper.splitLeft(upper.width * 2 / 5)
            let (messages, events) = bottom.splitLeft(bottom.width * 2 / 5)
            return Layout(header: header, members: members, wal: wal, latency: latency, trace: trace,
                          messages: messages, events: events, detail: nil, status: status, isWide: true)
        }
        let (wal, detail) = rest.splitTop(rest.height / 2)
        return Layout(header: header, members: members, wal: wal, latency: nil, trace: nil, messages: nil,
                      events: nil, detail: detail, status: status, isWide: false)
    }
}
