import Foundation
import Testing

/// `rafttop bench --endpoints` puts to a running `rafttop serve` over etcd's gRPC API.
@Suite(.serialized) struct BenchEndpointsTests {
    @Test func benchAgainstServeEndpointsCountsAcknowledgedPuts() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: Rafttop.binaryPath)
        serve.arguments = ["serve", "--in-memory", "--client-port-base", "0", "--no-gateway"]
        serve.standardOutput = FileHandle(forWritingAtPath: log)
        serve.standardError = FileHandle(forWritingAtPath: log)
        try serve.run()
        defer {
            if serve.isRunning { serve.terminate() }
            serve.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(600)
        var output = ""
        while !output.contains("try: ") && Date() < deadline && serve.isRunning {
            try await Task.sleep(for: .milliseconds(50))
            output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        let endpoints = output.split(separator: "\n").filter { $0.hasPrefix("member ") }.compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard let at = words.firstIndex(of: "gRPC"), at + 1 < words.count else { return nil }
            return String(words[at + 1])
        }
        try #require(endpoints.count == 3, "rafttop serve printed: \(output)")

        let result = try await Rafttop.run(["bench", "--endpoints", endpoints.joined(separator: ","), "--clients", "4",
                                      "--duration", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["puts_per_second"] as? Double ?? 0) > 0)
        #expect(object["errors"] as? Int == 0)
        #expect((object["storage"] as? String ?? "").hasPrefix("etcd v3 endpoints"))
    }

    @Test func serveStagesLineSaysWhereTheMemberThreadsAre() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: Rafttop.binaryPath)
        serve.arguments = ["serve", "--in-memory", "--client-port-base", "0", "--no-gateway", "--stages-every", "0.2"]
        serve.standardOutput = FileHandle(forWritingAtPath: log)
        serve.standardError = FileHandle(forWritingAtPath: log)
        try serve.run()
        defer {
            if serve.isRunning { serve.terminate() }
            serve.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(600)
        var output = ""
        while !output.contains("try: ") && Date() < deadline && serve.isRunning {
            try await Task.sleep(for: .milliseconds(50))
            output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        let endpoints = output.split(separator: "\n").filter { $0.hasPrefix("member ") }.compactMap { line -> String? in
            let words = line.split(separator: " ")
            guard let at = words.firstIndex(of: "gRPC"), at + 1 < words.count else { return nil }
            return String(words[at + 1])
        }
        try #require(endpoints.count == 3, "rafttop serve printed: \(output)")
        let result = try await Rafttop.run(["bench", "--endpoints", endpoints.joined(separator: ","), "--clients", "1",
                                            "--duration", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        var stages: [Substring] = []
        while stages.isEmpty && Date() < deadline && serve.isRunning {
            try await Task.sleep(for: .milliseconds(50))
            output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            stages = output.split(separator: "\n").filter { $0.hasPrefix("stages p50 µs") }
        }
        let line = try #require(stages.last, "rafttop serve printed: \(output)")
        #expect(line.contains("; member threads "), "\(line)")
        #expect(line.contains("packed on CPU") || line.contains("spread") || line.contains("not packed"), "\(line)")
    }
}
