import Cluster

/// The attachment's load generator: closed-loop clients that put through the attachment, so
/// their puts are timed and shown like any other, together at a target rate.
extension EtcdAttachment {
    /// Clients the load uses at most, however high the rate.
    public static let loadClientsMax = 64

    public func startLoad(rate: Double) -> Int {
        let clients = max(1, min(Self.loadClientsMax, Int(rate / 50)))
        let period = Duration.seconds(Double(clients) / max(rate, 0.001))
        let load = Task { [self] in
            await withDiscardingTaskGroup { group in
                for client in 0..<clients {
                    group.addTask { [self] in
                        var sequence = 0
                        while !Task.isCancelled {
                            let started = ContinuousClock.now
                            let result = await put(key: "load-\(client)-\(sequence % 1000)", value: Self.loadValue(sequence: sequence))
                            sequence += 1
                            var wait = period - (ContinuousClock.now - started)
                            // A cluster that refuses at once must not be hammered in a tight loop.
                            if case .failure = result { wait = max(wait, .milliseconds(100)) }
                            if wait > .zero { try? await Task.sleep(for: wait) }
                        }
                    }
                }
            }
        }
        let previous = tasks.withLock { t in
            defer { t.load = load }
            return t.load
        }
        previous?.cancel()
        return clients
    }

    public func stopLoad() {
        tasks.withLock { t in
            defer { t.load = nil }
            return t.load
        }?.cancel()
    }

    /// 256 bytes: the sequence number, then padding.
    static func loadValue(sequence: Int) -> [UInt8] {
        var value = Array("\(sequence):".utf8)
        value.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: max(0, 256 - value.count)))
        return value
    }
}
