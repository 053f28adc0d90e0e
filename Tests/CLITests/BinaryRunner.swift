import Foundation
import Testing

/// Runs the `rafttop` binary that `swift build` (or `swift test`) built beside the test bundle.
enum Rafttop {
    static var binaryPath: String {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = bundleDirectory.appendingPathComponent("rafttop").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        // Fall back to the package's debug build folder.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/rafttop").path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Polls the child with `Task.sleep`, not a blocking wait, so the test holds none of the
    /// cooperative pool's few threads (one a core) that every other suite's tests run on.
    static func run(_ arguments: [String], timeoutSeconds: Double = 120) async throws -> Output {
        // Output goes to files, so a chatty child can never block on a full pipe.
        let outPath = NSTemporaryDirectory() + "rafttop-out-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let errPath = outPath + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "rafttop-cli-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
