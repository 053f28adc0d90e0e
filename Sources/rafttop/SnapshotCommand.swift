import ArgumentParser

/// `rafttop snapshot`: tools for the files `etcdctl snapshot save` writes from rafttop.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Restore a cluster's data from a snapshot file.",
        subcommands: [SnapshotRestore.self]
    )
}
