import Raft

/// The one source of choices in a simulation: every fault, delay, timeout seed and proposal
/// comes from it, so a seed replays a run exactly. The arithmetic is written out here rather than
/// left to the standard library's `random(in:using:)`, whose algorithm a new toolchain may change.
struct SimRandom {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    /// A number in `0..<bound`; `bound` must be positive.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(\(bound)) needs a positive bound")
        return Int(next() % UInt64(bound))
    }

    /// A number in `range`.
    mutating func inRange(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `perMille` / 1000.
    mutating func chance(perMille: Int) -> Bool {
        below(1000) < perMille
    }

    /// One element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }
}
