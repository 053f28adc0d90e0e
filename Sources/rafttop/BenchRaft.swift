import ArgumentParser
import Raft
import RaftSimulation

/// `rafttop bench raft`: proposals committed per second through three in-memory members, and
/// simulation seeds run per second.
struct BenchRaft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft",
        abstract: "Print proposals committed per second through 3 in-memory Raft members, and seeds simulated per second.",
        discussion: "Build with -c release for figures worth comparing: swift run -c release rafttop bench raft"
    )

    @Option(help: "Proposals to commit.")
    var proposals: Int = 1_000_000

    @Option(help: "Bytes of each proposal's payload.")
    var payloadBytes: Int = 128

    @Option(help: "Proposals handed to the leader in one propose(batch:) call.")
    var batch: Int = 1000

    @Option(help: "Simulation seeds to run (3 members, default steps); 0 skips this part.")
    var seeds: UInt64 = 200

    func validate() throws {
        guard proposals > 0, payloadBytes >= 8, batch > 0 else {
            throw ValidationError("--proposals and --batch must be positive, --payload-bytes at least 8")
        }
    }

    func run() throws {
        var replication = ReplicationBenchmark(proposals: proposals, payloadBytes: payloadBytes, batch: batch)
        let result = try replication.run()
        let seconds = result.elapsed.secondsValue
        print("replication: \(proposals) proposals of \(payloadBytes) bytes, batches of \(batch), 3 members in memory")
        print("  committed and applied on every member in \(format(seconds)) s: \(Int(Double(proposals) / seconds)) proposals/s")
        print("  \(result.readies) Readies at the leader, \(result.appendMessages) MsgApps, \(result.compactions) compactions")

        guard seeds > 0 else { return }
        let clock = ContinuousClock()
        var steps = 0
        let elapsed = clock.measure {
            for seed in 1...seeds {
                steps += Simulation(options: SimulationOptions(seed: seed)).run().steps
            }
        }.secondsValue
        print("simulation: \(seeds) seeds, 3 members, \(SimulationOptions.defaultSteps) fault steps each (\(steps) steps in all)")
        print("  \(format(elapsed)) s: \(format(Double(seeds) / elapsed)) seeds/s, \(Int(Double(steps) / elapsed)) steps/s")
    }

    private func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(String(hundredths % 100).leftPadded(to: 2))"
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

extension Duration {
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
