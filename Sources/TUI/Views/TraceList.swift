import Cluster

/// The puts the trace pane can show, newest first: the snapshot's traces, the ones the UI saw in
/// earlier frames (a put stays listed after the member holding its trace died) and the pinned
/// put's last copy. A pure function of the snapshot and the UI state, so the view and the
/// controller agree on it.
enum TraceList {
    /// How many puts the UI remembers.
    static let capacity = 32

    static func merged(_ fresh: [StageTraceView], _ state: UIState) -> [StageTraceView] {
        var byID: [UInt64: StageTraceView] = [:]
        for trace in state.seenTraces { byID[trace.requestID] = trace }
        if let pinned = state.pinnedTrace, byID[pinned.requestID] == nil { byID[pinned.requestID] = pinned }
        for trace in fresh { byID[trace.requestID] = trace }
        let newest = byID.values.sorted { ($0.receivedNanos, $0.requestID) > ($1.receivedNanos, $1.requestID) }
        var kept = Array(newest.prefix(capacity))
        // The pinned put stays in the list, however many puts came after it.
        if let pinned = state.pinnedTrace, !kept.contains(where: { $0.requestID == pinned.requestID }),
           let copy = byID[pinned.requestID] {
            kept.append(copy)
        }
        return kept
    }

    /// The put the pane shows: the pinned one (its newest copy), or else the newest.
    static func shown(in list: [StageTraceView], _ state: UIState) -> StageTraceView? {
        guard let pinned = state.pinnedTrace else { return list.first }
        return list.first { $0.requestID == pinned.requestID } ?? pinned
    }

    /// The request id as the pane shows it: hexadecimal, as etcd prints request ids.
    static func idText(_ id: UInt64) -> String {
        String(id, radix: 16)
    }

    /// A short name for a traced request in the list: a put's key, or the request's first word.
    static func label(_ trace: StageTraceView) -> String {
        let words = trace.summary.split(separator: " ")
        let name = words.first == "put" && words.count > 1 ? String(words[1]) : String(words.first ?? "?")
        return name.count > 12 ? String(name.prefix(11)) + "…" : name
    }

    /// The trace `text` names: a request id (hexadecimal as shown, with or without 0x, or
    /// decimal) or a put's key; the newest such put when a key was put more than once.
    static func find(_ text: String, in list: [StageTraceView]) -> StageTraceView? {
        let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
        if let id = UInt64(digits, radix: 16), let trace = list.first(where: { $0.requestID == id }) { return trace }
        if let id = UInt64(text), let trace = list.first(where: { $0.requestID == id }) { return trace }
        return list.first { trace in
            let words = trace.summary.split(separator: " ")
            return words.count > 1 && words[0] == "put" && words[1] == text
        }
    }
}
