import ArgumentParser

@main
struct RaftTop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rafttop",
        abstract: "Watch and drive an etcd-style Raft cluster.",
        subcommands: [Top.self, Tour.self, Serve.self, Attach.self, Check.self, Demo.self, Bench.self, BenchUI.self, WALCommand.self, SnapshotCommand.self, EtcdCommand.self],
        defaultSubcommand: Top.self
    )
}
