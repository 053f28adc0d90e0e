import Foundation
import Synchronization

/// Puts the terminal back as it was when rafttop exits by a path that skips the normal shutdown:
/// a crash signal restores the saved terminal modes and writes terminfo's exit strings (both
/// async-signal-safe), then hands the signal on. SIGINT, SIGTERM and SIGHUP only
/// ask the UI loop to quit, which then shuts ncurses down in order.
enum TerminalRestore {
    /// Set by SIGINT, SIGTERM or SIGHUP: the signal number, 0 while none arrived.
    static let quitSignal = Atomic<Int32>(0)

    static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]
    static let quitSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Saves the terminal's modes as they are before ncurses changes them.
    static func saveModes() {
        var modes = termios()
        savedModesValid = tcgetattr(STDIN_FILENO, &modes) == 0
        savedModes = modes
    }

    /// Keeps the bytes that undo full-screen mode (from terminfo) and installs the handlers.
    static func install(resetSequence: [UInt8]) {
        _ = previousCrashActions
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(resetSequence.count, 1))
        buffer.initialize(from: resetSequence, count: resetSequence.count)
        signalSequence = buffer
        signalSequenceLength = resetSequence.count
        for signal in crashSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = crashHandler
            sigemptyset(&action.sa_mask)
            var previous = sigaction()
            sigaction(signal, &action, &previous)
            previousCrashActions[Int(signal)] = previous
        }
        for signal in quitSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = quitHandler
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// Puts the default handlers back, after ncurses has shut down normally.
    static func uninstall() {
        for signal in crashSignals + quitSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = SIG_DFL
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    // Written before the handlers are installed, then only read by them: a signal handler can
    // take no lock.
    nonisolated(unsafe) static var savedModes = termios()
    nonisolated(unsafe) static var savedModesValid = false
    nonisolated(unsafe) static var signalSequence: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) static var signalSequenceLength = 0
    /// What handled each crash signal before (Swift's backtracer, usually), by signal number.
    nonisolated(unsafe) static let previousCrashActions: UnsafeMutablePointer<sigaction> = {
        let actions = UnsafeMutablePointer<sigaction>.allocate(capacity: signalCountMax)
        actions.initialize(repeating: sigaction(), count: signalCountMax)
        return actions
    }()
    static let signalCountMax = 65

    /// Restores the terminal from a signal handler: only async-signal-safe calls.
    static func restoreFromSignal() {
        if savedModesValid {
            var modes = savedModes
            tcsetattr(STDIN_FILENO, TCSANOW, &modes)
        }
        if let sequence = signalSequence, signalSequenceLength > 0 {
            _ = write(STDOUT_FILENO, sequence, signalSequenceLength)
        }
    }
}

private func crashHandler(_ signal: Int32) {
    TerminalRestore.restoreFromSignal()
    // Hand the signal to whoever had it before (Swift's backtracer prints the crash on the
    // restored terminal), or to the default action.
    var previous = TerminalRestore.previousCrashActions[Int(signal)]
    sigaction(signal, &previous, nil)
    raise(signal)
}

private func quitHandler(_ signal: Int32) {
    TerminalRestore.quitSignal.store(signal, ordering: .relaxed)
}
