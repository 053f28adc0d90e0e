import GRPCCore

/// grpc-swift's errors in a few words a person can act on. Its messages carry the transport's
/// whole story ("Could not establish a connection to 127.0.0.1:2379. … connection refused (errno:
/// 111)"); etcd's own errors ("etcdserver: request timed out") are short already and kept.
enum RPCErrorText {
    static let lengthMax = 80

    static func short(code: RPCError.Code, message: String) -> String {
        let lower = message.lowercased()
        if message.hasPrefix("etcdserver: ") || message.hasPrefix("mvcc: ") || message.hasPrefix("auth: ") {
            return cut(message)
        }
        if lower.contains("connection refused") { return "connection refused: the member is not listening" }
        if lower.contains("connection reset") || lower.contains("closed") && code == .unavailable {
            return "connection closed by the member"
        }
        switch code {
        case .unavailable:
            return lower.contains("could not establish") || lower.contains("connect")
                ? "cannot connect to the member" : "member unavailable"
        case .deadlineExceeded: return "no answer before the deadline (timed out)"
        case .cancelled: return "cancelled"
        case .resourceExhausted: return "refused: too many requests or too large (" + cut(message, 40) + ")"
        case .unauthenticated, .permissionDenied: return cut(message.isEmpty ? "\(code)" : message)
        default: return cut(message.isEmpty ? "\(code)" : "\(code): " + message)
        }
    }

    /// The first sentence of `text`, at most `limit` characters, ended with … when cut.
    static func cut(_ text: String, _ limit: Int = lengthMax) -> String {
        var first = text.split(separator: "\n").first.map(String.init) ?? text
        if let stop = first.range(of: ". ") { first = String(first[..<stop.lowerBound]) }
        return first.count > limit ? String(first.prefix(limit - 1)) + "…" : first
    }
}
