import Testing
@testable import Server

@Suite struct AuthRateLimiterTests {
    @Test func delaysDoubleUpToTheCapAndASuccessClearsThem() {
        var limiter = AuthRateLimiter()
        var now: UInt64 = 0
        for _ in 0..<AuthRateLimiter.freeFailures {
            limiter.recordFailure(user: "u", now: now)
            #expect(limiter.retryAfterNanos(user: "u", now: now) == nil)
        }
        var delays: [UInt64] = []
        for _ in 0..<12 {
            limiter.recordFailure(user: "u", now: now)
            let wait = limiter.retryAfterNanos(user: "u", now: now) ?? 0
            delays.append(wait)
            now += wait
            #expect(limiter.retryAfterNanos(user: "u", now: now) == nil)
        }
        let first = AuthRateLimiter.firstDelayNanos
        #expect(delays.prefix(4) == [first, 2 * first, 4 * first, 8 * first])
        #expect(delays.last == AuthRateLimiter.maxDelayNanos)
        limiter.recordSuccess(user: "u")
        limiter.recordFailure(user: "u", now: now)
        #expect(limiter.retryAfterNanos(user: "u", now: now) == nil)
    }

    @Test func rememberedNamesAreBounded() {
        var limiter = AuthRateLimiter()
        for i in 0..<(AuthRateLimiter.capacity + 100) {
            limiter.recordFailure(user: "user\(i)", now: 0)
        }
        #expect(limiter.entries.count <= AuthRateLimiter.capacity)
    }
}
