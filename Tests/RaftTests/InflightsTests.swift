import Testing
@testable import Raft

/// Inflights: the flow-control window of MsgApps sent to one follower and not yet acknowledged.
@Suite struct InflightsTests {
    @Test func fillsByCountAndFreesUpToAnIndex() {
        var window = Inflights(capacity: 4)
        for index: UInt64 in [2, 4, 6] { window.add(index: index, bytes: 10) }
        #expect(window.count == 3)
        #expect(window.bytes == 30)
        #expect(!window.isFull)
        window.add(index: 8, bytes: 10)
        #expect(window.isFull)
        window.freeLE(3)
        #expect(window.count == 3)
        #expect(window.bytes == 30)
        #expect(!window.isFull)
        window.freeLE(4)
        #expect(window.count == 2)
        window.freeLE(100)
        #expect(window.count == 0)
        #expect(window.bytes == 0)
    }

    @Test func freeingBelowTheOldestDoesNothing() {
        var window = Inflights(capacity: 2)
        window.add(index: 5, bytes: 1)
        window.freeLE(4)
        #expect(window.count == 1)
    }

    @Test func wrapsAroundTheRing() {
        var window = Inflights(capacity: 3)
        var next: UInt64 = 1
        for _ in 0..<10 {
            while !window.isFull {
                window.add(index: next, bytes: 1)
                next += 1
            }
            #expect(window.count == 3)
            // Acknowledge the two oldest.
            window.freeLE(next - 2)
            #expect(window.count == 1)
        }
        window.freeLE(next - 1)
        #expect(window.count == 0)
    }

    @Test func fillsByBytes() {
        var window = Inflights(capacity: 10, maxBytes: 100)
        window.add(index: 1, bytes: 60)
        #expect(!window.isFull)
        window.add(index: 2, bytes: 40)
        #expect(window.isFull)
        window.freeLE(1)
        #expect(window.bytes == 40)
        #expect(!window.isFull)
    }

    @Test func resetEmptiesTheWindow() {
        var window = Inflights(capacity: 2)
        window.add(index: 1, bytes: 5)
        window.add(index: 2, bytes: 5)
        window.reset()
        #expect(window.count == 0)
        #expect(window.bytes == 0)
        window.add(index: 1, bytes: 5)
        #expect(window.count == 1)
    }
}
