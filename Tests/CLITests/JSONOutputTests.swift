import Foundation
import Testing

/// Every `--json` output is one line of JSON that decodes, with its keys sorted and every string
/// escaped: a storage path with a quote and a backslash comes back as it went in.
@Suite(.serialized) struct JSONOutputTests {
    static func lastLine(_ output: String) throws -> String {
        try #require(output.split(separator: "\n").last.map(String.init), "printed nothing")
    }

    static func object(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
    }

    /// A figure, whether the encoder wrote it with a fraction or without.
    static func number(_ value: Any?) -> Double? {
        (value as? Double) ?? (value as? Int).map(Double.init)
    }

    /// The keys in the order the line gives them, which must be sorted for the output to be stable.
    static func keysInOrder(_ line: String, _ keys: some Collection<String>) -> [String] {
        keys.compactMap { key in line.range(of: "\"\(key)\":").map { (key, $0.lowerBound) } }.sorted { $0.1 < $1.1 }.map(\.0)
    }

    @Test func benchJSONCarriesAStoragePathWithAQuoteAndABackslash() async throws {
        let parent = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let directory = parent + "/data \"quoted\" back\\slash"
        let result = try await Rafttop.run(["bench", "--duration", "0.5", "--clients", "2", "--json", "--data-dir", directory])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try Self.lastLine(result.stdout)
        let object = try Self.object(line)
        #expect(object["storage"] as? String == "WAL in \(directory)", "\(line)")
        #expect(object["members"] as? Int == 3 && object["clients"] as? Int == 2 && object["value_size"] as? Int == 256)
        for key in ["seconds", "puts_per_second", "p50_ms", "p90_ms", "p99_ms", "max_ms", "fsyncs_per_second", "entries_per_fsync"] {
            #expect(Self.number(object[key]) != nil, "\(key) in \(line)")
        }
        #expect(object["errors"] as? Int == 0)
        let stages = try #require(object["stages_p50"] as? [String: Any], "\(line)")
        #expect(stages.keys.allSatisfy { $0.hasSuffix("_us") && !$0.contains(" ") }, "\(stages)")
        #expect(stages.values.allSatisfy { Self.number($0) != nil }, "\(stages)")
        #expect(stages["leader_fsync_us"] != nil && stages["in_member_us"] != nil, "\(stages)")
        #expect(Self.keysInOrder(line, object.keys) == object.keys.sorted(), "\(line)")
        #expect(FileManager.default.fileExists(atPath: directory + "/member-1/wal"))
    }

    @Test func demoFailoverJSONHasItsFieldsWithTheirTypes() async throws {
        let result = try await Rafttop.run(["demo", "failover", "--json", "--phase-seconds", "0.5", "--clients", "2", "--in-memory"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try Self.lastLine(result.stdout)
        let object = try Self.object(line)
        let figures = ["failover_ms", "p50_ms_before", "p99_ms_before", "p50_ms_after", "p99_ms_after"]
        let counts = ["old_leader", "new_leader", "acked_puts", "lost_puts"]
        #expect(Set(object.keys) == Set(figures + counts + ["old_leader_caught_up"]), "\(line)")
        for key in figures { #expect(Self.number(object[key]) != nil, "\(key) in \(line)") }
        for key in counts { #expect(object[key] as? Int != nil, "\(key) in \(line)") }
        #expect(object["old_leader_caught_up"] as? Bool == true, "\(line)")
        #expect(Self.keysInOrder(line, object.keys) == object.keys.sorted(), "\(line)")
    }
}
