/// What one client may make a member's gRPC port hold or do, per connection and in all. Each limit
/// that etcd has a flag for carries etcd's name and, where etcd's default is a bound, its
/// default; where etcd's default is none (2^32-1 streams a connection, unlimited connections),
/// ours is a bound a well-behaved client never meets.
public struct FrontLimits: Sendable, Equatable {
    /// `--max-concurrent-streams`: streams a connection may have open at once, advertised in
    /// SETTINGS. A stream the client reset while its call was still running counts until the
    /// call ends, so resets cannot start more work than this. (etcd's default is 2^32-1.)
    public var maxConcurrentStreams = 256
    /// `--max-client-connections`: connections the port holds at once; more are closed as they
    /// are accepted.
    public var maxConnections = 1024
    /// `--grpc-keepalive-min-time`: the shortest gap between a client's PINGs that is not an
    /// abuse (grpc-go's enforcement policy, as etcd sets it). A client that sends more than two
    /// PINGs sooner than this, with no answer written between them, gets GOAWAY
    /// ENHANCE_YOUR_CALM "too_many_pings"; without an open stream the gap is two hours.
    public var keepaliveMinTime: Duration = .seconds(5)
    /// `--grpc-keepalive-interval`: after this long with nothing read, the server PINGs.
    public var keepaliveInterval: Duration = .seconds(2 * 60 * 60)
    /// `--grpc-keepalive-timeout`: a PING unanswered this long closes the connection.
    public var keepaliveTimeout: Duration = .seconds(20)
    /// A connection must send HTTP/2's preface and SETTINGS within this time of connecting
    /// (grpc-go's connection timeout).
    public var handshakeTimeout: Duration = .seconds(120)
    /// Request bytes a connection may have sent that the server has not handed on yet: the
    /// connection's receive window, granted back only as whole messages go to the member (or
    /// to the full gRPC server behind the port). Eight of etcd's largest requests fit.
    public var requestBytesHeldMax = 16 << 20
    /// Each stream's receive window.
    public var streamWindowBytes = 1 << 20
    /// The size of a header list the server accepts, decoded, advertised in SETTINGS.
    public var maxHeaderListBytes = 1 << 16
    /// CONTINUATION frames one header block may take.
    public var continuationFramesMax = 32
    /// Answer bytes a connection may have waiting for the client's flow-control window (grpc-go's
    /// write quota, for the connection): past it, new streams are refused until the client
    /// reads. A relayed call (a watch) may have a 64 KiB window more waiting behind it.
    public var writeQuotaBytes = 4 << 20
    /// Unary calls other than puts (ranges, transactions, deletes, compactions) a connection may
    /// have running at once, the rest waiting their turn in order; none starts while
    /// `writeQuotaBytes` of answers wait. A put's answer is a few bytes, but a range's can be a
    /// whole value or more: this keeps the answers being made for one client bounded.
    public var runningCallsMax = 16
    /// Client resets of open streams (and streams refused for being over a limit) allowed
    /// within `resetWindow` before the connection is ended with ENHANCE_YOUR_CALM: swift-nio-http2's
    /// defence against rapid reset, with its figures.
    public var resetsMax = 200
    public var resetWindow: Duration = .seconds(30)
    /// Frames that carry no request and earn no answer (SETTINGS, PING, WINDOW_UPDATE,
    /// RST_STREAM, PRIORITY, empty DATA, unknown types) a connection may send beyond what its
    /// calls justify; see `FloodGuard`.
    public var overheadFramesMax = 10_000

    public init() {}
}

/// Counts what a client does that costs the server without asking it for anything, and says
/// when it has become a flood. Time is passed in, so the rules are tested without a clock.
///
/// - PINGs follow grpc-go's keepalive enforcement, which etcd configures: a PING sooner than
///   `keepaliveMinTime` after the last one (two hours with no stream open) is a strike unless
///   the server wrote an answer since; the third strike ends the connection.
/// - Resets: client resets of open streams, and streams refused for being over a limit, more
///   than `resetsMax` within `resetWindow`.
/// - Overhead frames spend a budget that starts at `overheadFramesMax`, is earned back by
///   useful work (8 frames for each stream the client opens, 4 for each DATA or HEADERS frame
///   the server writes, so a client's WINDOW_UPDATEs and PINGs for its answers are always
///   paid for) and refills by 100 a second, up to `overheadFramesMax`. An empty budget is a flood.
struct FloodGuard {
    enum Verdict: Equatable {
        case fine
        /// End the connection with GOAWAY ENHANCE_YOUR_CALM and this debug text.
        case flood(String)
    }

    static let pingStrikesMax = 2
    static let pingGapWithoutStreams = Duration.seconds(2 * 60 * 60)
    static let overheadRefillPerSecond = 100

    let limits: FrontLimits
    private var lastPingAt: ContinuousClock.Instant?
    private var pingStrikes = 0
    private var answeredSincePing = false
    private var resetTimes: [ContinuousClock.Instant] = []
    private var overheadBudget: Int
    private var budgetRefilledAt: ContinuousClock.Instant?

    init(limits: FrontLimits) {
        self.limits = limits
        overheadBudget = limits.overheadFramesMax
    }

    /// A PING from the client, with `openStreams` streams open.
    mutating func ping(at now: ContinuousClock.Instant, openStreams: Int) -> Verdict {
        defer { lastPingAt = now }
        if answeredSincePing {
            answeredSincePing = false
            pingStrikes = 0
            return overhead(at: now)
        }
        let gap = openStreams > 0 ? limits.keepaliveMinTime : max(limits.keepaliveMinTime, Self.pingGapWithoutStreams)
        if let last = lastPingAt, now - last < gap {
            pingStrikes += 1
            if pingStrikes > Self.pingStrikesMax { return .flood("too_many_pings") }
        }
        return overhead(at: now)
    }

    /// The server wrote `frames` HEADERS or DATA frames (answers): they reset the PING strikes,
    /// as grpc-go's do, and pay for the client's frames that follow them.
    mutating func answered(frames: Int) {
        guard frames > 0 else { return }
        answeredSincePing = true
        overheadBudget = min(limits.overheadFramesMax, overheadBudget + 4 * frames)
    }

    /// The client opened a stream.
    mutating func streamOpened() {
        overheadBudget = min(limits.overheadFramesMax, overheadBudget + 8)
    }

    /// The client reset a stream it had open, or the server refused one.
    mutating func reset(at now: ContinuousClock.Instant) -> Verdict {
        let windowStart = now - limits.resetWindow
        if let first = resetTimes.first, first < windowStart {
            resetTimes.removeAll { $0 < windowStart }
        }
        resetTimes.append(now)
        guard resetTimes.count <= limits.resetsMax else {
            return .flood("more than \(limits.resetsMax) streams reset or refused within \(limits.resetWindow)")
        }
        return .fine
    }

    /// A frame that asks for nothing: SETTINGS, WINDOW_UPDATE, RST_STREAM, PRIORITY, an empty
    /// DATA, an unknown type (PINGs come through `ping`).
    mutating func overhead(at now: ContinuousClock.Instant) -> Verdict {
        refill(at: now)
        overheadBudget -= 1
        guard overheadBudget >= 0 else {
            return .flood("more than \(limits.overheadFramesMax) frames that carry no request")
        }
        return .fine
    }

    private mutating func refill(at now: ContinuousClock.Instant) {
        guard let last = budgetRefilledAt else {
            budgetRefilledAt = now
            return
        }
        let elapsed = now - last
        let earned = Int(elapsed / .milliseconds(1000 / Self.overheadRefillPerSecond))
        guard earned > 0 else { return }
        overheadBudget = min(limits.overheadFramesMax, overheadBudget + earned)
        budgetRefilledAt = last + .milliseconds(1000 / Self.overheadRefillPerSecond) * earned
    }
}
