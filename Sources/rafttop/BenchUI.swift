import ArgumentParser
import Cluster
import Foundation
import Server
import Synchronization
import TUI

/// `rafttop bench-ui`: what the UI costs. Times frame rendering at several terminal sizes, then
/// measures put throughput with and without a headless UI sampling snapshots at 20 fps.
struct BenchUI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ui",
        abstract: "Time UI frames (snapshot + render) and measure the UI's cost to put throughput.")

    @Option(help: "Frames to time at each size.")
    var frames: Int = 300

    @Option(help: "Seconds to measure throughput in each phase (without, then with the UI).")
    var seconds: Double = 5

    @Option(help: "Concurrent clients putting during the throughput phases.")
    var clients: Int = 64

    @Option(help: "Frames per second of the headless UI.")
    var fps: Int = 20

    @OptionGroup var storage: StorageOptions
    @OptionGroup var placement: PlacementOptions

    func validate() throws {
        guard frames > 0 else { throw ValidationError("--frames must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard clients > 0 else { throw ValidationError("--clients must be at least 1") }
        guard (1...120).contains(fps) else { throw ValidationError("--fps must be 1 to 120") }
    }

    func run() throws {
        let setup = try storage.makeClusterConfig(members: 3, placement: placement)
        let cluster = try Cluster(config: setup.config)
        defer {
            cluster.shutdown()
            setup.cleanUp()
        }
        guard waitUntil(seconds: 15, { cluster.isReady }) else { throw DemoError.noLeader }
        let load = LoadGenerator(cluster: cluster, clients: clients, valueSize: 256)
        load.start()
        sleepSeconds(1)

        // Frame time: a snapshot of the loaded cluster rendered into a canvas, as the UI does.
        var state = UIState()
        state.startNanos = cluster.nowNanos()
        print("frame = snapshot + render, \(frames) frames per size, cluster under load:")
        for (width, height) in [(200, 60), (120, 40), (80, 24)] {
            var canvas = Canvas(width: width, height: height)
            var renderNanos: [UInt64] = []
            var frameNanos: [UInt64] = []
            for _ in 0..<frames {
                let start = DispatchTime.now().uptimeNanoseconds
                let snapshot = cluster.snapshot()
                let rendered = DispatchTime.now().uptimeNanoseconds
                Screen.render(snapshot, state, into: &canvas)
                let end = DispatchTime.now().uptimeNanoseconds
                renderNanos.append(end - rendered)
                frameNanos.append(end - start)
            }
            print("  \(width)x\(height): render p50 \(ms(median(renderNanos))) ms, p99 \(ms(percentile(renderNanos, 0.99))) ms;"
                  + " snapshot+render p50 \(ms(median(frameNanos))) ms, p99 \(ms(percentile(frameNanos, 0.99))) ms")
        }

        let without = throughput(cluster: cluster, load: load)
        let sampler = HeadlessUI(cluster: cluster, fps: fps)
        sampler.start()
        let with = throughput(cluster: cluster, load: load)
        let framesDrawn = sampler.stop()
        load.stop()
        _ = waitUntil(seconds: 30, { load.outstanding == 0 })
        let cost = without > 0 ? (without - with) / without * 100 : 0
        print("puts/s without UI: \(Int(without)), with a headless UI at \(fps) fps (\(framesDrawn) frames): \(Int(with))"
              + "  (\(String(format: "%+.1f", -cost))%)")
    }

    private func throughput(cluster: Cluster, load: LoadGenerator) -> Double {
        let before = load.counts.acknowledged
        let start = cluster.nowNanos()
        sleepSeconds(seconds)
        return Double(load.counts.acknowledged - before) * 1e9 / Double(cluster.nowNanos() - start)
    }

    private func median(_ values: [UInt64]) -> UInt64 { percentile(values, 0.5) }

    private func percentile(_ values: [UInt64], _ p: Double) -> UInt64 {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    private func ms(_ nanos: UInt64) -> String { String(format: "%.3f", Double(nanos) / 1e6) }
}

/// The UI without a terminal: a thread that takes a snapshot and renders a 200x60 frame at `fps`.
final class HeadlessUI: Sendable {
    let cluster: Cluster
    let fps: Int
    private let running = Atomic<Bool>(false)
    private let frames = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    init(cluster: Cluster, fps: Int) {
        self.cluster = cluster
        self.fps = fps
    }

    func start() {
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            var canvas = Canvas(width: 200, height: 60)
            let state = UIState()
            let period = 1.0 / Double(fps)
            while running.load(ordering: .relaxed) {
                let start = Date()
                Screen.render(cluster.snapshot(), state, into: &canvas)
                frames.add(1, ordering: .relaxed)
                let left = period - Date().timeIntervalSince(start)
                if left > 0 { Thread.sleep(forTimeInterval: left) }
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops the thread; returns how many frames it drew.
    func stop() -> Int {
        running.store(false, ordering: .relaxed)
        done.wait()
        return frames.load(ordering: .relaxed)
    }
}
