import Cluster
import EtcdAPI
import Locking

/// `rafttop bench --endpoints`: the cluster bench's put load against any etcd v3 endpoints
/// (`rafttop serve` or a real etcd), so both are measured by one client. Closed-loop clients put
/// through the leader; only puts started after one second of warm-up are counted.
struct EndpointBench {
    let endpoints: [String]
    let clients: Int
    let seconds: Double
    let valueSize: Int

    struct Outcome {
        var acknowledged: Int
        var failed: Int
        var elapsedSeconds: Double
        var latency: LatencyRecorder
    }

    func run() async throws -> Outcome {
        let attachment = try EtcdAttachment(endpoints: endpoints)
        attachment.start()
        var reachable = false
        for _ in 0..<150 {
            if case .success = await attachment.put(key: "bench-warmup", value: [1]) {
                reachable = true
                break
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        guard reachable else {
            await attachment.shutdown()
            throw DemoError.noLeader
        }
        let recorder = Locked(LatencyRecorder())
        let counts = Locked((acknowledged: 0, failed: 0))
        let value = LoadGenerator.value(sequence: 0, size: valueSize)
        let clock = ContinuousClock()
        let measureFrom = clock.now + .seconds(1)
        let end = measureFrom + .seconds(seconds)
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var sequence = 0
                    while clock.now < end {
                        let counted = clock.now >= measureFrom
                        let result = await attachment.put(key: "bench-\(client)-\(sequence % 1000)", value: value)
                        sequence += 1
                        guard counted else { continue }
                        switch result {
                        case .success(let write):
                            recorder.withLock { $0.record(micros: write.latencyMicros) }
                            counts.withLock { $0.acknowledged += 1 }
                        case .failure:
                            recorder.withLock { $0.recordError() }
                            counts.withLock { $0.failed += 1 }
                        }
                    }
                }
            }
        }
        await attachment.shutdown()
        let (acknowledged, failed) = counts.withLock { ($0.acknowledged, $0.failed) }
        return Outcome(acknowledged: acknowledged, failed: failed, elapsedSeconds: seconds,
                       latency: recorder.withLock { $0 })
    }
}
