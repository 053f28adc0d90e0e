@testable import EtcdAPI
import Testing

/// The flood rules on a clock the test moves: grpc-go's PING enforcement, swift-nio-http2's
/// rapid-reset count, and the budget of frames that ask for nothing.
@Suite struct FloodGuardTests {
    let start = ContinuousClock.now

    @Test func theThirdPingTooSoonIsAFlood() {
        var guardian = FloodGuard(limits: FrontLimits())
        for second in 0..<3 {
            #expect(guardian.ping(at: start + .seconds(second), openStreams: 1) == .fine)
        }
        #expect(guardian.ping(at: start + .seconds(3), openStreams: 1) == .flood("too_many_pings"))
    }

    @Test func pingsAtTheMinimumGapAreNeverAFlood() {
        var guardian = FloodGuard(limits: FrontLimits())
        for n in 0..<100 {
            #expect(guardian.ping(at: start + .seconds(5 * n), openStreams: 1) == .fine)
        }
    }

    @Test func anAnswerBetweenPingsClearsTheStrikes() {
        var guardian = FloodGuard(limits: FrontLimits())
        for n in 0..<100 {
            #expect(guardian.ping(at: start + .milliseconds(10 * n), openStreams: 1) == .fine)
            guardian.answered(frames: 3)
        }
    }

    @Test func withoutAStreamPingsMayComeOnlyEveryTwoHours() {
        var guardian = FloodGuard(limits: FrontLimits())
        for n in 0..<3 {
            #expect(guardian.ping(at: start + .seconds(600 * n), openStreams: 0) == .fine)
        }
        #expect(guardian.ping(at: start + .seconds(1_800), openStreams: 0) != .fine)
        var patient = FloodGuard(limits: FrontLimits())
        for n in 0..<5 {
            #expect(patient.ping(at: start + .seconds(7_200 * n), openStreams: 0) == .fine)
        }
    }

    @Test func resetsPastTheLimitWithinTheWindowAreAFlood() {
        let limits = FrontLimits()
        var guardian = FloodGuard(limits: limits)
        for n in 0..<limits.resetsMax {
            #expect(guardian.reset(at: start + .milliseconds(n)) == .fine)
        }
        #expect(guardian.reset(at: start + .seconds(1)) != .fine)
        // Spread past the window, the same resets are fine.
        var slower = FloodGuard(limits: limits)
        for n in 0..<(3 * limits.resetsMax) {
            #expect(slower.reset(at: start + .milliseconds(200 * n)) == .fine)
        }
    }

    @Test func framesThatAskForNothingSpendABudgetThatWorkAndTimeEarnBack() {
        let limits = FrontLimits()
        var guardian = FloodGuard(limits: limits)
        for _ in 0..<limits.overheadFramesMax {
            #expect(guardian.overhead(at: start) == .fine)
        }
        #expect(guardian.overhead(at: start) != .fine)

        // A second later, a hundred more; a stream opened earns eight, an answer frame four.
        var refilled = FloodGuard(limits: limits)
        for _ in 0..<limits.overheadFramesMax { _ = refilled.overhead(at: start) }
        for _ in 0..<FloodGuard.overheadRefillPerSecond {
            #expect(refilled.overhead(at: start + .seconds(1)) == .fine)
        }
        #expect(refilled.overhead(at: start + .seconds(1)) != .fine)

        var working = FloodGuard(limits: limits)
        for _ in 0..<limits.overheadFramesMax { _ = working.overhead(at: start) }
        for _ in 0..<1_000 {
            working.streamOpened()
            working.answered(frames: 3)
            for _ in 0..<20 { #expect(working.overhead(at: start) == .fine) }
        }
    }
}

@Suite struct GoDurationTests {
    @Test(arguments: [
        ("5s", Duration.seconds(5)), ("2h0m0s", .seconds(7_200)), ("1.5m", .seconds(90)), ("300ms", .milliseconds(300)),
        ("1h30m", .seconds(5_400)), ("0", .zero), ("20s", .seconds(20)), ("250us", .microseconds(250)),
    ])
    func etcdsSpellingsParse(_ text: String, _ expected: Duration) {
        #expect(GoDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "5", "s", "-5s", "5x", "5s ", "1e3s", "5 s", "99999999999h"])
    func anythingElseIsRefused(_ text: String) {
        #expect(GoDuration.parse(text) == nil, "\(text)")
    }

    @Test(arguments: [Duration.seconds(5), .seconds(7_200), .seconds(20), .milliseconds(300), .seconds(90), .milliseconds(1_500)])
    func formattedDurationsParseBack(_ duration: Duration) {
        #expect(GoDuration.parse(GoDuration.format(duration)) == duration)
    }

    @Test func formatsAsGoPrints() {
        #expect(GoDuration.format(.seconds(7_200)) == "2h0m0s")
        #expect(GoDuration.format(.seconds(5)) == "5s")
        #expect(GoDuration.format(.milliseconds(300)) == "300ms")
    }
}
