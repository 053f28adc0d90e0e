import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure and print how fast the layers run (figures, never pass or fail).",
        subcommands: [BenchRaft.self]
    )
}
