#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a simulation run needs to say which seed it was on when a failed precondition kills
/// the process: crash-signal handlers that chain to the previous ones (the Swift backtracer),
/// and output that is safe inside a signal handler (write(2) only, no allocation).
public enum CrashReport {
    nonisolated(unsafe) private static var previousActions: [Int32: sigaction] = [:]
    static let signals = [SIGILL, SIGTRAP, SIGABRT, SIGSEGV]

    /// Installs `handler` for the crash signals. Call once, before any run.
    public static func install(_ handler: @convention(c) (Int32) -> Void) {
        for signal in signals {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = handler
            #else
            action.__sigaction_u.__sa_handler = handler
            #endif
            var previous = sigaction()
            sigaction(signal, &action, &previous)
            previousActions[signal] = previous
        }
    }

    /// Hands `signal` to whoever handled it before, or to the default action.
    public static func chainToPrevious(_ signal: Int32) {
        var previous = previousActions[signal] ?? sigaction()
        sigaction(signal, &previous, nil)
        raise(signal)
    }

    public static func write(_ text: StaticString) {
        _ = writeToStandardError(text.utf8Start, text.utf8CodeUnitCount)
    }

    public static func write(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var n = value
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(48 + n % 10)
                n /= 10
            } while n > 0
            _ = writeToStandardError(buffer.baseAddress! + start, buffer.count - start)
        }
    }
}

// `write` is shadowed inside `CrashReport` by its own methods.
private func writeToStandardError(_ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(2, bytes, count)
    #else
    Darwin.write(2, bytes, count)
    #endif
}
