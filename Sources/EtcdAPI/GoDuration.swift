/// Durations as etcd's flags spell them (Go's `time.ParseDuration`): numbers with units, run
/// together, as in `5s`, `2h0m0s`, `1.5m` or `300ms`.
public enum GoDuration {
    private static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// The duration `text` names, or nil when it is not one: each part a non-negative number
    /// and a unit (ns, us, ms, s, m, h); `0` alone is zero.
    public static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var rest = Substring(text)
        var seconds = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            seconds += value * unit.1
        }
        guard seconds.isFinite, seconds < 1e9 else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// `duration` the way Go prints one: `2h0m0s`, `5s`, `1.5s`, `300ms`.
    public static func format(_ duration: Duration) -> String {
        let nanos = duration.nanoseconds
        if nanos == 0 { return "0s" }
        if nanos < 1_000_000_000 {
            return nanos % 1_000_000 == 0 ? "\(nanos / 1_000_000)ms" : "\(Double(nanos) / 1e6)ms"
        }
        let hours = nanos / 3_600_000_000_000
        let minutes = nanos / 60_000_000_000 % 60
        let secondNanos = nanos % 60_000_000_000
        let seconds = secondNanos % 1_000_000_000 == 0 ? "\(secondNanos / 1_000_000_000)s" : "\(Double(secondNanos) / 1e9)s"
        if hours > 0 { return "\(hours)h\(minutes)m\(seconds)" }
        if minutes > 0 { return "\(minutes)m\(seconds)" }
        return seconds
    }
}
