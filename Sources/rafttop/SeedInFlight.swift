#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    nonisolated(unsafe) static var previousActions: [Int32: sigaction] = [:]

    static func installHandlers() {
        for signal in [SIGILL, SIGTRAP, SIGABRT, SIGSEGV] {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = reportSeedAndCrash
            #else
            action.__sigaction_u.__sa_handler = reportSeedAndCrash
            #endif
            var previous = sigaction()
            sigaction(signal, &action, &previous)
            previousActions[signal] = previous
        }
    }
}

/// Prints the seed in flight, then hands the signal to whoever handled it before (the Swift
/// backtracer) or to the default action. Only async-signal-safe calls: write(2), no allocation.
private func reportSeedAndCrash(_ signal: Int32) {
    if SeedInFlight.seed != 0 {
        writeStderr("\nrafttop crashed while simulating seed ")
        writeStderr(SeedInFlight.seed)
        writeStderr(SeedInFlight.command == .raft ? "; replay: swift run rafttop check raft --seed " : "; replay: swift run rafttop check --seed ")
        writeStderr(SeedInFlight.seed)
        writeStderr(" --members ")
        writeStderr(SeedInFlight.memberCount)
        if SeedInFlight.command == .cluster {
            writeStderr(" --ops ")
            writeStderr(SeedInFlight.operations)
        }
        writeStderr("\n")
    }
    var previous = SeedInFlight.previousActions[signal] ?? sigaction()
    sigaction(signal, &previous, nil)
    raise(signal)
}

private func writeStderr(_ text: StaticString) {
    _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
}

private func writeStderr(_ value: UInt64) {
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    withUnsafeMutableBytes(of: &digits) { buffer in
        var n = value
        var start = buffer.count
        repeat {
            start -= 1
            buffer[start] = UInt8(48 + n % 10)
            n /= 10
        } while n > 0
        _ = write(2, buffer.baseAddress! + start, buffer.count - start)
    }
}
