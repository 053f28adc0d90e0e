#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes a seed replay exactly: Swift seeds every dictionary's hashing per process (and per
/// instance), so the order in which Raft visits its peers, or a member fails its waiters, can
/// differ from one run to the next. The runtime reads SWIFT_DETERMINISTIC_HASHING before `main`,
/// so a process without it starts itself again with it set.
enum DeterministicHashing {
    static func ensure() {
        guard getenv("SWIFT_DETERMINISTIC_HASHING") == nil else { return }
        setenv("SWIFT_DETERMINISTIC_HASHING", "1", 1)
        #if os(Linux)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        #endif
        if let program = CommandLine.unsafeArgv[0] { execvp(program, CommandLine.unsafeArgv) }
        // Could not start again: the checks still hold, only a replay may take another path.
    }
}
