import ArgumentParser

/// `rafttop bench`: benchmarks that print figures; without a subcommand, the cluster's put path.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print its figures.",
        subcommands: [BenchCluster.self, BenchWAL.self],
        defaultSubcommand: BenchCluster.self
    )
}
