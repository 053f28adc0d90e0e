import ArgumentParser

@main
struct RaftTop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rafttop",
        abstract: "Watch and drive an etcd-style Raft cluster.",
        subcommands: [Serve.self, Attach.self, Check.self, Demo.self, Bench.self, WALCommand.self]
    )
}
