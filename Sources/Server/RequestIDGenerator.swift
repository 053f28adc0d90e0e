/// Unique request ids as etcd's idutil makes them: the member id in the top 2 bytes, then the
/// start time in milliseconds (5 bytes) and a counter (1 byte) that carries into the time, so ids
/// stay unique across restarts as long as a member issues fewer than 256 per millisecond on average.
public struct RequestIDGenerator: Sendable {
    private let prefix: UInt64
    private var suffix: UInt64

    static let counterBits: UInt64 = 8
    static let timestampBits: UInt64 = 40
    static let suffixBits = counterBits + timestampBits

    public init(memberID: UInt64, startMillis: UInt64) {
        prefix = (memberID & 0xffff) << Self.suffixBits
        suffix = Self.lowBits(startMillis, Self.timestampBits) << Self.counterBits
    }

    public mutating func next() -> UInt64 {
        suffix &+= 1
        return prefix | Self.lowBits(suffix, Self.suffixBits)
    }

    private static func lowBits(_ x: UInt64, _ n: UInt64) -> UInt64 {
        x & ((1 << n) - 1)
    }
}
