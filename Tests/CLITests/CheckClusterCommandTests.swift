import Foundation
import Testing

/// `rafttop check` for whole clusters, as a person runs it.
@Suite(.serialized) struct CheckClusterCommandTests {
    static func json(_ arguments: [String]) async throws -> (status: Int32, object: [String: Any]) {
        let result = try await Rafttop.run(arguments)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                                  "\(result.stdout)\n\(result.stderr)")
        return (result.status, object)
    }

    @Test func theDefaultSubcommandChecksClustersAndReportsInJSON() async throws {
        let (status, object) = try await Self.json(["check", "--seeds", "5", "--ops", "60", "--json"])
        #expect(status == 0)
        #expect(object["seedsRun"] as? Int == 5)
        #expect(object["violations"] as? Int == 0)
        #expect((object["operationsChecked"] as? Int ?? 0) > 0)
        let faults = try #require(object["faults"] as? [String: Int])
        #expect(faults["slow-disk", default: 0] > 0, "\(faults)")
        #expect(object["elapsedSeconds"] is Double)
    }

    @Test func aSeedReplaysTheSameRun() async throws {
        let first = try await Self.json(["check", "cluster", "--seed", "7", "--ops", "80", "--json"]).object
        let second = try await Self.json(["check", "--seed", "7", "--ops", "80", "--json"]).object
        let digest = try #require(first["historyDigest"] as? UInt64)
        #expect(second["historyDigest"] as? UInt64 == digest)
        #expect(first["operations"] as? Int == second["operations"] as? Int)
    }

    @Test func aBrokenClusterFailsWithTheSeedAHistoryAndTheReplayCommand() async throws {
        let result = try await Rafttop.run(["check", "--seed", "1", "--ops", "200", "--sabotage", "local-reads"])
        #expect(result.status != 0)
        #expect(result.stdout.contains("FAILED seed 1"))
        #expect(result.stdout.contains("not-linearizable"))
        #expect(result.stdout.contains("replay: rafttop check --seed 1"))
    }
}
