import Foundation
import Testing

/// `rafttop tour` refuses what it cannot give, with a message naming what was wrong.
@Suite struct TourCommandTests {
    @Test func anUnknownTourIsRefusedByName() async throws {
        let result = try await Rafttop.run(["tour", "nope"], timeoutSeconds: 60)
        #expect(result.status != 0)
        #expect(result.stderr.contains("no tour 'nope'"), "\(result.stderr)")
        #expect(result.stderr.contains("put and failover"), "\(result.stderr)")
    }

    @Test func aTourNeedsThreeToSevenMembers() async throws {
        let result = try await Rafttop.run(["tour", "--members", "2"], timeoutSeconds: 60)
        #expect(result.status != 0)
        #expect(result.stderr.contains("--members must be 3 to 7"), "\(result.stderr)")
    }

    @Test func theHelpNamesBothTours() async throws {
        let result = try await Rafttop.run(["tour", "--help"], timeoutSeconds: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("put (the default) or failover"), "\(result.stdout)")
    }
}
