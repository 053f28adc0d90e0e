import ArgumentParser

/// `rafttop bench`: benchmarks that print figures.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a benchmark and print its figures.",
        subcommands: [BenchWAL.self]
    )
}
