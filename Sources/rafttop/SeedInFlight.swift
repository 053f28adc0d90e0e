import Check
import RaftSimulation

/// The seed `check raft` is running, so that a crash (a failed precondition inside Raft) still
/// prints the command that replays it, before the runtime's own crash report.
enum SeedInFlight {
    /// The seed (0 when idle) and the member count.
    nonisolated(unsafe) static var seed: UInt64 = 0
    nonisolated(unsafe) static var memberCount: UInt64 = 0
    /// Which check is running, for the replay command.
    enum Command { case raft, cluster }
    nonisolated(unsafe) static var command = Command.raft
    /// Client operations per seed, for `check cluster`.
    nonisolated(unsafe) static var operations: UInt64 = 0

    static func installHandlers() {
        CrashReport.install(reportSeedAndCrash)
    }
}

/// Prints the seed in flight, then hands the signal to whoever handled it before (the Swift
/// backtracer) or to the default action. Only async-signal-safe calls: write(2), no allocation.
private func reportSeedAndCrash(_ signal: Int32) {
    if SeedInFlight.seed != 0 {
        CrashReport.write("\nrafttop crashed while simulating seed ")
        CrashReport.write(SeedInFlight.seed)
        CrashReport.write(SeedInFlight.command == .raft ? "; replay: swift run rafttop check raft --seed " : "; replay: swift run rafttop check --seed ")
        CrashReport.write(SeedInFlight.seed)
        CrashReport.write(" --members ")
        CrashReport.write(SeedInFlight.memberCount)
        if SeedInFlight.command == .cluster {
            CrashReport.write(" --ops ")
            CrashReport.write(SeedInFlight.operations)
        }
        CrashReport.write("\n")
    }
    CrashReport.chainToPrevious(signal)
}
