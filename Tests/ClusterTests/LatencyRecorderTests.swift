import Testing
@testable import Cluster

@Suite struct LatencyRecorderTests {
    @Test func bucketsCountEachLatencyOnce() {
        var recorder = LatencyRecorder()
        for _ in 0..<6 { recorder.record(micros: 4000) }
        recorder.record(micros: 150)
        recorder.record(micros: 90_000)
        let buckets = recorder.buckets(lowMicros: 250, count: 12)
        #expect(buckets.reduce(0) { $0 + $1.count } == 8)
        #expect(buckets.first { $0.upperMicros == 4000 }?.count == 6)
        #expect(buckets.first { $0.upperMicros == 8000 }?.count == 0)
        #expect(buckets.first { $0.upperMicros == 250 }?.count == 1)
    }
}
