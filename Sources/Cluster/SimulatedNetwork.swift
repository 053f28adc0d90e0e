import Raft

/// The network between members: every message waits out a latency (plus jitter) before it is
/// delivered, may be lost, and is dropped when a partition separates its ends. Deterministic:
/// a seeded generator makes every choice. Not thread-safe; the cluster guards it.
public struct SimulatedNetwork {
    public struct Settings: Sendable, Hashable {
        public var latencyMicros: UInt64 = 0
        public var jitterMicros: UInt64 = 0
        /// Probability in 0...1 that a message is lost.
        public var lossRate: Double = 0
        /// Probability in 0...1 that a message is delivered twice.
        public var duplicateRate: Double = 0

        public init(latencyMicros: UInt64 = 0, jitterMicros: UInt64 = 0, lossRate: Double = 0, duplicateRate: Double = 0) {
            self.latencyMicros = latencyMicros
            self.jitterMicros = jitterMicros
            self.lossRate = lossRate
            self.duplicateRate = duplicateRate
        }
    }

    /// A message on its way, as the UI lists it.
    public struct InFlight: Sendable, Hashable {
        public var message: Message
        public var sentNanos: UInt64
        public var dueNanos: UInt64
        let sequence: UInt64
    }

    public var settings: Settings
    /// Members in different groups cannot reach each other; members in no group reach everyone
    /// not isolated. Empty: no partition.
    private(set) var groupOf: [NodeID: Int] = [:]
    private(set) var inFlight: [InFlight] = []
    private var random: SplitMix64
    private var sequence: UInt64 = 0
    /// A bound on messages in flight; beyond it new ones are dropped, as a full socket buffer would.
    public static let capacity = 100_000
    public private(set) var dropped = 0
    public private(set) var delivered = 0

    public init(settings: Settings = Settings(), seed: UInt64 = 1) {
        self.settings = settings
        random = SplitMix64(seed: seed)
    }

    public var isPartitioned: Bool { !groupOf.isEmpty }

    /// Whether a message from `a` can reach `b` now.
    public func connected(_ a: NodeID, _ b: NodeID) -> Bool {
        groupOf[a] == groupOf[b]
    }

    /// Splits the members into groups that cannot reach one another.
    public mutating func partition(_ groups: [[NodeID]]) {
        groupOf = [:]
        for (g, members) in groups.enumerated() {
            for id in members { groupOf[id] = g }
        }
    }

    /// Cuts `id` off from everyone else.
    public mutating func isolate(_ id: NodeID, among all: [NodeID]) {
        partition([[id], all.filter { $0 != id }])
    }

    public mutating func heal() {
        groupOf = [:]
    }

    /// Queues `messages`; returns the snapshots among them that were lost at once, which the
    /// sender's transport reports as failed (as etcd's does), so its leader tries again.
    @discardableResult
    public mutating func send(_ messages: [Message], now: UInt64) -> [Message] {
        var lostSnapshots: [Message] = []
        for m in messages {
            let lost = !connected(m.from, m.to) || inFlight.count >= Self.capacity
                || (settings.lossRate > 0 && Double.random(in: 0..<1, using: &random) < settings.lossRate)
            if lost {
                dropped += 1
                if m.type == .snap { lostSnapshots.append(m) }
                continue
            }
            enqueue(m, now: now)
            // etcd's streams run over TCP and never deliver a forwarded proposal twice; the leader
            // would append it twice and the request would be applied twice.
            if m.type != .prop && settings.duplicateRate > 0 && Double.random(in: 0..<1, using: &random) < settings.duplicateRate {
                enqueue(m, now: now)
            }
        }
        return lostSnapshots
    }

    private mutating func enqueue(_ m: Message, now: UInt64) {
        var delay = settings.latencyMicros * 1000
        if settings.jitterMicros > 0 {
            delay += UInt64.random(in: 0...settings.jitterMicros, using: &random) * 1000
        }
        sequence += 1
        inFlight.append(InFlight(message: m, sentNanos: now, dueNanos: now + delay, sequence: sequence))
    }

    /// The earliest time a message is due, if any is in flight.
    public var nextDueNanos: UInt64? {
        inFlight.lazy.map(\.dueNanos).min()
    }

    /// Removes and returns the messages due by `now`, in due order; a partition that formed while
    /// they were in flight drops them (snapshots among those are in `lostSnapshots`).
    public mutating func takeDue(now: UInt64) -> (delivered: [Message], lostSnapshots: [Message]) {
        guard inFlight.contains(where: { $0.dueNanos <= now }) else { return ([], []) }
        var due: [InFlight] = []
        var waiting: [InFlight] = []
        for item in inFlight {
            if item.dueNanos <= now { due.append(item) } else { waiting.append(item) }
        }
        inFlight = waiting
        due.sort { ($0.dueNanos, $0.sequence) < ($1.dueNanos, $1.sequence) }
        var out: [Message] = []
        var lostSnapshots: [Message] = []
        for item in due {
            if connected(item.message.from, item.message.to) {
                out.append(item.message)
            } else {
                dropped += 1
                if item.message.type == .snap { lostSnapshots.append(item.message) }
            }
        }
        delivered += out.count
        return (out, lostSnapshots)
    }

    /// Drops everything addressed to or sent by `id` (it crashed: its sockets are gone); returns
    /// the snapshots that were on their way to it.
    @discardableResult
    public mutating func dropAll(involving id: NodeID) -> [Message] {
        let lostSnapshots = inFlight.filter { $0.message.to == id && $0.message.type == .snap }.map(\.message)
        let before = inFlight.count
        inFlight.removeAll { $0.message.to == id || $0.message.from == id }
        dropped += before - inFlight.count
        return lostSnapshots
    }

    public var inFlightMessages: [InFlight] { inFlight }
}
