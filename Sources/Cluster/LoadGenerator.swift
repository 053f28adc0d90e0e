import Locking
import Dispatch
import Raft
import Server
import Synchronization

/// Clients that put into the cluster: `clients` closed loops, each sending its next put when the
/// last one is answered, either as fast as they can or together at `targetRate` puts per second.
/// Remembers every acknowledged key and value so a check can look for them afterwards.
public final class LoadGenerator: Sendable {
    public let clients: Int
    public let valueSize: Int
    /// Puts per second across all clients; nil means as fast as answers come.
    public let targetRate: Double?
    let cluster: Cluster
    private let running = Atomic<Bool>(false)
    private let inFlight = Atomic<Int>(0)
    private let acked = Locked<[String: Int]>([:])
    private let counters = Locked<(sent: Int, acknowledged: Int, failed: Int)>((0, 0, 0))
    private let keyPrefix: String

    public init(cluster: Cluster, clients: Int, valueSize: Int = 256, targetRate: Double? = nil, keyPrefix: String = "load") {
        precondition(clients > 0, "a load needs at least one client")
        self.cluster = cluster
        self.clients = clients
        self.valueSize = valueSize
        self.targetRate = targetRate
        self.keyPrefix = keyPrefix
    }

    public func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        for client in 0..<clients {
            next(client: client, sequence: 0)
        }
    }

    /// Stops issuing puts; those in flight still finish.
    public func stop() {
        running.store(false, ordering: .relaxed)
    }

    public var isRunning: Bool { running.load(ordering: .relaxed) }
    public var outstanding: Int { inFlight.load(ordering: .relaxed) }

    public var counts: (sent: Int, acknowledged: Int, failed: Int) { counters.withLock { $0 } }

    /// Every acknowledged key with the sequence number written as its value.
    public var acknowledged: [String: Int] { acked.withLock { $0 } }

    public static func value(sequence: Int, size: Int) -> [UInt8] {
        var v = Array("\(sequence):".utf8)
        if v.count < size { v.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: size - v.count)) }
        return v
    }

    private func next(client: Int, sequence: Int) {
        guard running.load(ordering: .relaxed) else { return }
        let key = "\(keyPrefix)-\(client)-\(sequence % 1000)"
        inFlight.add(1, ordering: .relaxed)
        counters.withLock { $0.sent += 1 }
        let issued = cluster.nowNanos()
        cluster.put(key: Array(key.utf8), value: Self.value(sequence: sequence, size: valueSize)) { [self] result in
            inFlight.subtract(1, ordering: .relaxed)
            switch result {
            case .success:
                acked.withLock { $0[key] = sequence }
                counters.withLock { $0.acknowledged += 1 }
            case .failure:
                counters.withLock { $0.failed += 1 }
            }
            let pause = pauseNanos(since: issued)
            if pause == 0, case .success = result {
                next(client: client, sequence: sequence + 1)
            } else {
                // After a failure (or to keep to the target rate), continue later, not on this stack.
                cluster.schedule(afterNanos: max(pause, 1_000_000)) { [self] in next(client: client, sequence: sequence + 1) }
            }
        }
    }

    private func pauseNanos(since issued: UInt64) -> UInt64 {
        guard let targetRate, targetRate > 0 else { return 0 }
        let period = UInt64(Double(clients) / targetRate * 1e9)
        let spent = cluster.nowNanos() - issued
        return period > spent ? period - spent : 0
    }
}
