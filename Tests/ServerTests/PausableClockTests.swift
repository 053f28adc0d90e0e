import Server
import Testing

/// The clock a real-time cluster stops while paused: it reads the instant it stopped at, and
/// runs on from there, the stopped time left out.
@Suite struct PausableClockTests {
    @Test func stoppedTimeIsLeftOut() {
        let base = ManualClock(startNanos: 1_000)
        let clock = PausableClock(base: base)
        #expect(clock.nowNanos() == 1_000)
        base.advance(byNanos: 500)
        #expect(clock.nowNanos() == 1_500)

        clock.stop()
        #expect(clock.isStopped)
        base.advance(byNanos: 10_000)
        #expect(clock.nowNanos() == 1_500, "a stopped clock stands still")
        clock.stop()
        base.advance(byNanos: 1_000)
        #expect(clock.nowNanos() == 1_500, "stopping twice changes nothing")

        clock.start()
        #expect(!clock.isStopped)
        #expect(clock.nowNanos() == 1_500, "it goes on from where it stopped")
        base.advance(byNanos: 200)
        #expect(clock.nowNanos() == 1_700)

        clock.stop()
        base.advance(byNanos: 3_000)
        clock.start()
        clock.start()
        base.advance(byNanos: 50)
        #expect(clock.nowNanos() == 1_750, "two pauses, both left out")
        #expect(clock.wallMillis() == base.wallMillis(), "request ids read the wall clock, which a pause does not stop")
    }
}
