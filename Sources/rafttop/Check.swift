import ArgumentParser

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run randomized fault-injection simulations of whole clusters or of Raft alone, and check them.",
        subcommands: [CheckCluster.self, CheckRaft.self],
        defaultSubcommand: CheckCluster.self
    )
}
