import Testing
@testable import Server

@Suite struct TraceRingTests {
    static func trace(_ id: UInt64) -> StageTrace {
        StageTrace(requestID: id, member: 1, summary: "put k\(id)", receivedNanos: id)
    }

    @Test func keepsTheNewestInOrderOnceFull() {
        var ring = TraceRing(capacity: 4)
        #expect(ring.newest(10).isEmpty)
        for id: UInt64 in 1...3 { ring.append(Self.trace(id)) }
        #expect(ring.newest(10).map(\.requestID) == [1, 2, 3])
        for id: UInt64 in 4...10 { ring.append(Self.trace(id)) }
        #expect(ring.count == 4)
        #expect(ring.newest(10).map(\.requestID) == [7, 8, 9, 10])
        #expect(ring.newest(2).map(\.requestID) == [9, 10])
        #expect(ring.newest(0).isEmpty)
    }
}
