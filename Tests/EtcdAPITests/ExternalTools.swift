import Foundation

/// Runs programs outside the test process: the rafttop binary this package builds, and the
/// etcd clients the end-to-end tests drive it with.
enum ExternalTools {
    /// A program on PATH, or nil when it is not installed.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let etcdctl = find("etcdctl")
    static let curl = find("curl")
    static var haveClients: Bool { etcdctl != nil && curl != nil }

    /// The rafttop executable built beside the test bundle.
    static var rafttop: String? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("rafttop").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let built = packageRoot.appendingPathComponent(".build/debug/rafttop").path
        return FileManager.default.isExecutableFile(atPath: built) ? built : nil
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` to completion and returns what it printed.
    static func run(_ executable: String, _ arguments: [String], stdin: String? = nil,
                    environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A program running in the background whose output is collected as it arrives.
final class BackgroundProcess: @unchecked Sendable {
    // Written by the pipe's reader thread, read by the test: guarded by `lock`.
    private let lock = NSLock()
    private var collected = Data()
    let process = Process()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.collected.append(data) }
        }
        try process.run()
    }

    var output: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// Waits until the output contains `text`.
    func waitForOutput(_ text: String, seconds: Double = 20) async throws {
        try await waitFor("\"\(text)\" in the output of \(process.executableURL!.lastPathComponent)", seconds: seconds) {
            output.contains(text)
        }
    }

    /// Sends SIGTERM if the process still runs, without waiting: for clean-up when a test fails.
    func stop() {
        if process.isRunning { process.terminate() }
    }

    /// Sends SIGTERM and waits for the process to exit.
    func terminate() async throws {
        guard process.isRunning else { return }
        process.terminate()
        try await waitFor("\(process.executableURL!.lastPathComponent) to exit") { !process.isRunning }
    }
}
