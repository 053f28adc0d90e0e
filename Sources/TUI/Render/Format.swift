/// Number formats shared by the views: short, fixed, and without Foundation's locale.
enum Format {
    /// Milliseconds from nanoseconds: `0.42 ms`, `12.3 ms`, `1,234 ms` become `0.42`, `12.3`, `1234`.
    static func millis(nanos: UInt64) -> String {
        millis(Double(nanos) / 1_000_000)
    }

    static func millis(micros: UInt64) -> String {
        millis(Double(micros) / 1000)
    }

    static func millis(_ ms: Double) -> String {
        if ms < 1 { return fixed(ms, places: 2) }
        if ms < 100 { return fixed(ms, places: 1) }
        return String(Int(ms.rounded()))
    }

    /// `value` with `places` decimals.
    static func fixed(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = scaled % Int(scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return sign + String(whole) }
        let digits = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: places - digits.count) + digits
    }

    /// A count with k / M suffixes past 10,000.
    static func count<T: BinaryInteger>(_ n: T) -> String {
        let v = Int(n)
        if v < 10_000 { return String(v) }
        if v < 10_000_000 { return String(v / 1000) + "k" }
        return String(v / 1_000_000) + "M"
    }

    /// Seconds with one decimal: `12.3s`.
    static func seconds(nanos: UInt64) -> String {
        fixed(Double(nanos) / 1e9, places: 1) + "s"
    }

    /// A clock reading to the millisecond, so every 1 ms step shows: `2.913s`.
    static func clock(nanos: UInt64) -> String {
        fixed(Double(nanos / 1_000_000) / 1000, places: 3) + "s"
    }

    /// A speed factor: `1x`, `0.25x`, `10x`.
    static func speed(_ factor: Double) -> String {
        if factor >= 1 && factor == factor.rounded() { return String(Int(factor)) + "x" }
        return fixed(factor, places: factor < 0.1 ? 2 : 2).replacingTrailingZeros() + "x"
    }

    static func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    static func padRight(_ s: String, _ width: Int) -> String {
        s.count >= width ? String(s.prefix(width)) : s + String(repeating: " ", count: width - s.count)
    }
}

extension String {
    /// `0.50` becomes `0.5`, `2.00` becomes `2`.
    func replacingTrailingZeros() -> String {
        guard contains(".") else { return self }
        var s = self
        while s.last == "0" { s.removeLast() }
        if s.last == "." { s.removeLast() }
        return s
    }
}
