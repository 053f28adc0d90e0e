import RaftSimulation

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
    private static let handlersInstalled: Bool = {
        CrashReport.install(reportSeedsAndCrash)
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
        CrashReport.write("\nsimulation crashed while running seed ")
        CrashReport.write(seed)
        CrashReport.write(" with ")
        CrashReport.write(SeedsInFlight.seeds[2 * slot + 1])
        CrashReport.write(" members; replay: swift run rafttop check raft --seed ")
        CrashReport.write(seed)
        CrashReport.write(" --members ")
        CrashReport.write(SeedsInFlight.seeds[2 * slot + 1])
        CrashReport.write("\n")
    }
    CrashReport.chainToPrevious(signal)
}
