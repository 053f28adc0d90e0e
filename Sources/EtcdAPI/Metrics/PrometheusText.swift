/// Why a Prometheus text-format body (what etcd serves at /metrics) could not be read.
public enum PrometheusTextError: Error, Sendable, Hashable, CustomStringConvertible {
    case bodyTooLarge(bytes: Int, limit: Int)
    case lineTooLong(line: Int, bytes: Int, limit: Int)
    case tooManySamples(limit: Int)
    case notUTF8(line: Int)
    case malformed(line: Int, reason: String)

    public var description: String {
        switch self {
        case .bodyTooLarge(let bytes, let limit): "metrics body of \(bytes) bytes is over the \(limit)-byte limit"
        case .lineTooLong(let line, let bytes, let limit): "metrics line \(line) is \(bytes) bytes, over the \(limit)-byte limit"
        case .tooManySamples(let limit): "metrics body has more than \(limit) samples"
        case .notUTF8(let line): "metrics line \(line) is not UTF-8"
        case .malformed(let line, let reason): "metrics line \(line): \(reason)"
        }
    }
}

/// The type a `# TYPE` line gives a metric family.
public enum PrometheusMetricType: String, Sendable, Hashable {
    case counter, gauge, histogram, summary, untyped
}

/// One sample line: `name{label="value",...} value`.
public struct PrometheusSample: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var value: Double

    public init(name: String, labels: [String: String], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}

/// A parsed /metrics body in Prometheus's text exposition format 0.0.4: the samples by name and
/// the families' types. Bounded in body size, line length and sample count, since the body comes
/// from a server we do not control; anything it cannot read is an error, never a crash.
public struct PrometheusText: Sendable {
    /// etcd 3.4 serves about 150 KiB; a body many times that is not a metrics page.
    public static let bodyBytesMax = 4 << 20
    public static let lineBytesMax = 16 << 10
    public static let samplesMax = 50_000

    /// Samples by sample name (`..._bucket`, `..._sum` and `..._count` are names of their own).
    public private(set) var samples: [String: [PrometheusSample]] = [:]
    /// Family types by family name, from `# TYPE` lines.
    public private(set) var types: [String: PrometheusMetricType] = [:]

    public init(parsing text: String) throws(PrometheusTextError) {
        try self.init(parsing: Array(text.utf8))
    }

    public init(parsing body: [UInt8]) throws(PrometheusTextError) {
        guard body.count <= Self.bodyBytesMax else { throw .bodyTooLarge(bytes: body.count, limit: Self.bodyBytesMax) }
        var count = 0
        var lineNumber = 0
        var start = 0
        while start < body.count {
            lineNumber += 1
            let end = body[start...].firstIndex(of: UInt8(ascii: "\n")) ?? body.count
            let length = end - start
            guard length <= Self.lineBytesMax else { throw .lineTooLong(line: lineNumber, bytes: length, limit: Self.lineBytesMax) }
            var bytes = body[start..<end]
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
            start = end + 1
            guard let line = String(validating: bytes, as: UTF8.self) else { throw .notUTF8(line: lineNumber) }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.hasPrefix("#") {
                try readComment(line, lineNumber: lineNumber)
                continue
            }
            let sample = try Self.sample(line, lineNumber: lineNumber)
            count += 1
            guard count <= Self.samplesMax else { throw .tooManySamples(limit: Self.samplesMax) }
            samples[sample.name, default: []].append(sample)
        }
    }

    /// The value of the first sample named `name` whose labels include `labels`.
    public func value(_ name: String, labels: [String: String] = [:]) -> Double? {
        samples[name]?.first { s in labels.allSatisfy { s.labels[$0.key] == $0.value } }?.value
    }

    /// The histogram family `name` (its `_bucket`, `_sum` and `_count` samples) among the series
    /// whose labels include `labels`; nil when absent or without a `+Inf` bucket.
    public func histogram(_ name: String, labels: [String: String] = [:]) -> PrometheusHistogram? {
        func matches(_ s: PrometheusSample) -> Bool { labels.allSatisfy { s.labels[$0.key] == $0.value } }
        var buckets: [PrometheusHistogram.Bucket] = []
        for s in samples[name + "_bucket"] ?? [] where matches(s) {
            guard let le = s.labels["le"], let bound = Self.number(le) else { continue }
            buckets.append(.init(upperBound: bound, cumulativeCount: s.value))
        }
        return PrometheusHistogram(buckets: buckets, sum: value(name + "_sum", labels: labels) ?? 0,
                                   count: value(name + "_count", labels: labels) ?? buckets.map(\.cumulativeCount).max() ?? 0)
    }

    private mutating func readComment(_ line: String, lineNumber: Int) throws(PrometheusTextError) {
        let words = line.dropFirst().split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard words.first == "TYPE" else { return }
        guard words.count == 3, let type = PrometheusMetricType(rawValue: String(words[2])) else {
            throw .malformed(line: lineNumber, reason: "a TYPE line needs a name and one of counter, gauge, histogram, summary, untyped")
        }
        types[String(words[1])] = type
    }

    static func sample(_ line: String, lineNumber: Int) throws(PrometheusTextError) -> PrometheusSample {
        var cursor = Substring(line).unicodeScalars[...]
        func fail(_ reason: String) -> PrometheusTextError { .malformed(line: lineNumber, reason: reason) }
        func isNameStart(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" || c == ":" }
        func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }
        func name() throws(PrometheusTextError) -> String {
            guard let first = cursor.first, isNameStart(first) else { throw fail("expected a metric or label name") }
            let end = cursor.firstIndex { !isNameChar($0) } ?? cursor.endIndex
            defer { cursor = cursor[end...] }
            return String(String.UnicodeScalarView(cursor[..<end]))
        }
        func skipSpaces() { cursor = cursor.drop { $0 == " " || $0 == "\t" } }

        let metric = try name()
        var labels: [String: String] = [:]
        skipSpaces()
        if cursor.first == "{" {
            cursor = cursor.dropFirst()
            while true {
                skipSpaces()
                if cursor.first == "}" { cursor = cursor.dropFirst(); break }
                let label = try name()
                skipSpaces()
                guard cursor.first == "=" else { throw fail("expected = after label \(label)") }
                cursor = cursor.dropFirst()
                skipSpaces()
                guard cursor.first == "\"" else { throw fail("expected a quoted value for label \(label)") }
                cursor = cursor.dropFirst()
                var value = String.UnicodeScalarView()
                var closed = false
                while let c = cursor.first {
                    cursor = cursor.dropFirst()
                    if c == "\"" { closed = true; break }
                    if c == "\\" {
                        guard let escaped = cursor.first else { break }
                        cursor = cursor.dropFirst()
                        switch escaped {
                        case "n": value.append("\n")
                        case "\\", "\"": value.append(escaped)
                        default: throw fail("unknown escape \\\(escaped) in label \(label)")
                        }
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { throw fail("label \(label)'s value is not closed") }
                labels[label] = String(value)
                skipSpaces()
                if cursor.first == "," { cursor = cursor.dropFirst(); continue }
                guard cursor.first == "}" else { throw fail("expected , or } after label \(label)") }
            }
        }
        skipSpaces()
        let fields = String(String.UnicodeScalarView(cursor)).split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 1 || fields.count == 2 else { throw fail("expected a value and an optional timestamp after \(metric)") }
        guard let value = number(fields[0]) else { throw fail("\"\(fields[0].prefix(32))\" is not a number") }
        if fields.count == 2, Int64(fields[1]) == nil { throw fail("\"\(fields[1].prefix(32))\" is not a timestamp") }
        return PrometheusSample(name: metric, labels: labels, value: value)
    }

    /// A sample value or `le` bound: a decimal float, or +Inf, -Inf, NaN as Prometheus writes them.
    static func number<S: StringProtocol>(_ text: S) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard let first = text.unicodeScalars.first, first == "-" || first == "+" || first == "." || ("0"..."9").contains(first),
                  text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || "+-.eE".unicodeScalars.contains($0) }) else { return nil }
            return Double(text)
        }
    }
}
