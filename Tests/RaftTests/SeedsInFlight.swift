#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The simulation seeds running right now, one slot per test case, so that a crash (a failed
/// precondition inside Raft kills the whole test process) still prints each seed with its replay
/// command before the runtime's own crash report.
enum SeedsInFlight {
    static let slotCount = 64
    /// Per slot: the seed (0 when idle) and the member count.
    nonisolated(unsafe) static let seeds: UnsafeMutablePointer<UInt64> = {
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount * 2)
        slots.initialize(repeating: 0, count: slotCount * 2)
        return slots
    }()
    nonisolated(unsafe) static var previousActions: [Int32: sigaction] = [:]

    private static let handlersInstalled: Bool = {
        for signal in [SIGILL, SIGTRAP, SIGABRT, SIGSEGV] {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = reportSeedsAndCrash
            #else
            action.__sigaction_u.__sa_handler = reportSeedsAndCrash
            #endif
            var previous = sigaction()
            sigaction(signal, &action, &previous)
            previousActions[signal] = previous
        }
        return true
    }()

    /// Runs `body` with `seed` recorded in `slot`.
    static func run<T>(slot: Int, seed: UInt64, memberCount: Int, _ body: () -> T) -> T {
        precondition(handlersInstalled && slot < slotCount, "slot \(slot) out of range")
        seeds[2 * slot + 1] = UInt64(memberCount)
        seeds[2 * slot] = seed
        defer { seeds[2 * slot] = 0 }
        return body()
    }
}

/// Prints every seed in flight, then hands the signal to whoever handled it before (the Swift
/// backtracer) or to the default action. Only async-signal-safe calls: write(2), no allocation.
private func reportSeedsAndCrash(_ signal: Int32) {
    for slot in 0..<SeedsInFlight.slotCount {
        let seed = SeedsInFlight.seeds[2 * slot]
        guard seed != 0 else { continue }
        writeStderr("\nsimulation crashed while running seed ")
        writeStderr(seed)
        writeStderr(" with ")
        writeStderr(SeedsInFlight.seeds[2 * slot + 1])
        writeStderr(" members; replay: swift run rafttop check raft --seed ")
        writeStderr(seed)
        writeStderr(" --members ")
        writeStderr(SeedsInFlight.seeds[2 * slot + 1])
        writeStderr("\n")
    }
    var previous = SeedsInFlight.previousActions[signal] ?? sigaction()
    sigaction(signal, &previous, nil)
    raise(signal)
}

private func writeStderr(_ text: StaticString) {
    _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
}

private func writeStderr(_ value: UInt64) {
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
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
