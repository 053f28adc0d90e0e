import ArgumentParser

@main
struct RaftTop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rafttop",
        abstract: "Watch and drive an etcd-style Raft cluster.",
        subcommands: [Top.self, Check.self, Demo.self, Bench.self, BenchUI.self],
        defaultSubcommand: Top.self
    )
}
