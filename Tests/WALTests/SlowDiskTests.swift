import Raft
import Synchronization
import Testing
@testable import WAL

/// A slowed simulated disk: a sync returns at once, but what it covers is durable only when
/// its simulated time has come, and syncs complete in the order they were issued.
@Suite struct SlowDiskTests {
    final class TestClock: Sendable {
        let nanos = Atomic<UInt64>(0)

        func set(_ value: UInt64) { nanos.store(value, ordering: .relaxed) }
        var read: @Sendable () -> UInt64 { { self.nanos.load(ordering: .relaxed) } }
    }

    static let millis: UInt64 = 1_000_000

    /// A disk slowed to 50 ms a sync from time 0, holding /d/f (its name durable) with 1,000
    /// bytes written and synced at time 0.
    static func slowedDiskWithOneSync(_ clock: TestClock) throws -> SimulatedDisk {
        let disk = SimulatedDisk(clockNanos: clock.read)
        try disk.makeDirectory("/d")
        let file = try disk.create("/d/f")
        try disk.syncDirectory("/d")
        disk.slowSyncs(latencyNanos: 50 * millis, jitterNanos: 0, untilNanos: 1_000 * millis, seed: 1)
        try [UInt8](repeating: 7, count: 1_000).withUnsafeBytes { try file.append($0) }
        try file.sync()
        file.close()
        return disk
    }

    @Test func aSlowSyncIsDurableOnlyWhenItsTimeHasCome() throws {
        var kept: [Int] = []
        for seed in UInt64(0)..<16 {
            let clock = TestClock()
            let disk = try Self.slowedDiskWithOneSync(clock)
            #expect(disk.syncsCompleteAtNanos == 50 * Self.millis)
            clock.set(49 * Self.millis)
            var generator = SplitMix64(seed: seed)
            disk.crash(using: &generator)
            kept.append(disk.contents(of: "/d/f")?.count ?? -1)
        }
        #expect(kept.contains { $0 < 1_000 }, "a crash before the sync completed lost nothing in 16 tries: \(kept)")

        for seed in UInt64(0)..<16 {
            let clock = TestClock()
            let disk = try Self.slowedDiskWithOneSync(clock)
            clock.set(50 * Self.millis)
            #expect(disk.syncsCompleteAtNanos == nil)
            var generator = SplitMix64(seed: seed)
            disk.crash(using: &generator)
            #expect(disk.contents(of: "/d/f") == [UInt8](repeating: 7, count: 1_000), "seed \(seed)")
        }
    }

    /// A process blocked in a sync writes nothing more, so what the simulator wrote after a
    /// sync that never completed is gone after the crash, even where unsynced bytes survive.
    @Test func nothingWrittenAfterAnUnfinishedSyncSurvivesACrash() throws {
        for seed in UInt64(0)..<16 {
            let clock = TestClock()
            let disk = try Self.slowedDiskWithOneSync(clock)
            let file = try disk.open("/d/f")
            try [UInt8](repeating: 8, count: 500).withUnsafeBytes { try file.append($0) }
            file.close()
            clock.set(49 * Self.millis)
            var generator = SplitMix64(seed: seed)
            disk.crash(using: &generator)
            let kept = try #require(disk.contents(of: "/d/f"))
            #expect(kept.count <= 1_000 && !kept.contains(8), "seed \(seed): \(kept.count) bytes")
        }
    }

    @Test func syncsCompleteInTheOrderTheyWereIssued() throws {
        let clock = TestClock()
        let disk = SimulatedDisk(clockNanos: clock.read)
        try disk.makeDirectory("/d")
        disk.slowSyncs(latencyNanos: 100 * Self.millis, jitterNanos: 100 * Self.millis, untilNanos: 10_000 * Self.millis, seed: 9)
        let file = try disk.create("/d/f")
        var completions: [UInt64] = []
        for i in 0..<5 {
            try [UInt8(i)].withUnsafeBytes { try file.append($0) }
            try file.sync()
            completions.append(try #require(disk.syncsCompleteAtNanos))
        }
        try disk.syncDirectory("/d")
        completions.append(try #require(disk.syncsCompleteAtNanos))
        file.close()
        var previous: UInt64 = 0
        for completion in completions {
            #expect((previous + 100 * Self.millis...previous + 200 * Self.millis).contains(completion), "\(completions)")
            previous = completion
        }
        // The name became durable with the last sync: a crash just before it loses the file.
        clock.set(completions[completions.count - 1] - 1)
        var generator = SplitMix64(seed: 1)
        disk.crash(using: &generator)
        #expect(!disk.exists("/d/f"))
    }

    @Test func theDiskIsFastAgainWhenTheSpellEnds() throws {
        let clock = TestClock()
        let disk = SimulatedDisk(clockNanos: clock.read)
        try disk.makeDirectory("/d")
        let file = try disk.create("/d/f")
        defer { file.close() }
        disk.slowSyncs(latencyNanos: 20 * Self.millis, jitterNanos: 0, untilNanos: 100 * Self.millis, seed: 1)
        try file.sync()
        #expect(disk.syncsCompleteAtNanos == 20 * Self.millis)
        clock.set(100 * Self.millis)
        try file.sync()
        #expect(disk.syncsCompleteAtNanos == nil)

        disk.slowSyncs(latencyNanos: 20 * Self.millis, jitterNanos: 0, untilNanos: 1_000 * Self.millis, seed: 1)
        disk.restoreSyncSpeed()
        try file.sync()
        #expect(disk.syncsCompleteAtNanos == nil)
    }
}
