import ArgumentParser

/// `rafttop bench`: benchmarks that print figures (never pass or fail); without a subcommand,
/// the cluster's whole put path.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure and print how fast the layers run.",
        subcommands: [BenchCluster.self, BenchRaft.self, BenchWAL.self, BenchAuth.self],
        defaultSubcommand: BenchCluster.self
    )
}
