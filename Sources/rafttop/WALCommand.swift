import ArgumentParser

/// `rafttop wal`: tools for a member's write-ahead log.
struct WALCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal",
        abstract: "Inspect a member's write-ahead log.",
        subcommands: [WALDump.self]
    )
}
