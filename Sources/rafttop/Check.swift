import ArgumentParser

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run randomized fault-injection simulations and check Raft's safety properties.",
        subcommands: [CheckRaft.self]
    )
}
