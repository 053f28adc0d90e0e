import Foundation

/// One line of JSON for a command's `--json` output: keys sorted so the output is stable, and
/// slashes left as they are so paths read as paths. Every string is escaped by the encoder.
func jsonLine<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

extension Double {
    /// Rounded to `places` decimals, as the JSON outputs give their figures: more digits than
    /// that are noise in a measurement.
    func rounded(places: Int) -> Double {
        let scale = (0..<places).reduce(1.0) { result, _ in result * 10 }
        return (self * scale).rounded() / scale
    }
}
