import Raft

/// Seeded mutations of valid encodings, as a fuzzer makes them: bit flips, byte changes,
/// truncation, insertion of random or interesting bytes, and splices of two inputs. The same
/// seed gives the same inputs, so a failure names the seed and iteration that replay it.
public struct Mutator {
    private var random: SplitMix64

    public init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(random.next() % UInt64(n)) }

    /// Values that break length and count fields.
    private static let interesting: [[UInt8]] = [
        [0], [0xff], [0x7f], [0x80], [0xff, 0xff, 0xff, 0xff], [0, 0, 0, 0x80],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0x7f], [1, 0, 0, 0, 0, 0, 0, 0],
    ]

    /// One to four mutations of `input`; `corpus` gives splice partners.
    public mutating func mutate(_ input: [UInt8], corpus: [[UInt8]]) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + below(4)) {
            switch below(7) {
            case 0 where !bytes.isEmpty:
                let i = below(bytes.count)
                bytes[i] ^= 1 << UInt8(below(8))
            case 1 where !bytes.isEmpty:
                bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            case 2:
                bytes = Array(bytes.prefix(below(bytes.count + 1)))
            case 3:
                let at = below(bytes.count + 1)
                bytes.insert(contentsOf: (0..<(1 + below(8))).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
            case 4:
                let value = Self.interesting[below(Self.interesting.count)]
                let at = below(bytes.count + 1)
                let end = min(bytes.count, at + value.count)
                bytes.replaceSubrange(at..<end, with: value)
            case 5 where !corpus.isEmpty:
                let other = corpus[below(corpus.count)]
                bytes = Array(bytes.prefix(below(bytes.count + 1))) + Array(other.suffix(below(other.count + 1)))
            case 6 where bytes.count > 1:
                let start = below(bytes.count)
                let end = start + below(bytes.count - start)
                bytes.removeSubrange(start..<end)
            default:
                break
            }
        }
        return bytes
    }
}
