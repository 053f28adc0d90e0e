import Foundation
import Testing

/// `rafttop bench --endpoints` puts to a running `rafttop serve` over etcd's gRPC API.
@Suite(.serialized) struct BenchEndpointsTests {
    @Test func benchAgainstServeEndpointsCountsAcknowledgedPuts() async throws {
        let serve = try await RunningServe(["--in-memory", "--client-port-base", "0", "--no-gateway"])
        defer { serve.stop() }
        let result = try await Rafttop.run(["bench", "--endpoints", serve.endpoints.joined(separator: ","), "--clients", "4",
                                      "--duration", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["puts_per_second"] as? Double ?? 0) > 0)
        #expect(object["errors"] as? Int == 0)
        #expect((object["storage"] as? String ?? "").hasPrefix("etcd v3 endpoints"))
    }

    @Test func serveStagesLineSaysWhereTheMemberThreadsAre() async throws {
        let serve = try await RunningServe(["--in-memory", "--client-port-base", "0", "--no-gateway", "--stages-every", "0.2"])
        defer { serve.stop() }
        let result = try await Rafttop.run(["bench", "--endpoints", serve.endpoints.joined(separator: ","), "--clients", "1",
                                            "--duration", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(try await serve.waitForLine { $0.hasPrefix("stages p50 µs") }, "rafttop serve printed: \(serve.output)")
        #expect(line.contains("; member threads "), "\(line)")
        #expect(line.contains("packed on CPU") || line.contains("spread") || line.contains("not packed"), "\(line)")
    }
}

/// `rafttop serve` run as a process, its output going to a file in a directory of its own.
private final class RunningServe {
    let process = Process()
    let directory: String
    let log: String
    /// The members' gRPC addresses, from its startup lines.
    private(set) var endpoints: [String] = []
    private let deadline = Date().addingTimeInterval(120)

    init(_ arguments: [String]) async throws {
        directory = try temporaryDirectory()
        log = directory + "/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: Rafttop.binaryPath)
        process.arguments = ["serve"] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        _ = try await waitForLine { $0.hasPrefix("try: ") }
        endpoints = output.split(separator: "\n").filter { $0.hasPrefix("member ") }.compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard let at = words.firstIndex(of: "gRPC"), at + 1 < words.count else { return nil }
            return String(words[at + 1])
        }
        if endpoints.count != 3 {
            stop()
            throw ServeDidNotStart(output: output)
        }
    }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// The last line of its output that `matches`, once there is one; nil if it exits first.
    func waitForLine(_ matches: (Substring) -> Bool) async throws -> Substring? {
        while Date() < deadline {
            if let line = output.split(separator: "\n").last(where: matches) { return line }
            guard process.isRunning else { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

private struct ServeDidNotStart: Error, CustomStringConvertible {
    var output: String
    var description: String { "rafttop serve did not print three endpoints: \(output)" }
}
