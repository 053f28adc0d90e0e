import Cluster
import Testing
@testable import TUI

/// Leases from the command line: grant one, put a key with it, see it in the header, and see
/// the key vanish when the lease runs out.
extension ControllerTests {
    @Test func aKeyPutWithALeaseVanishesWhenTheLeaseRunsOut() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        command("lease grant 3", c)
        let status = try #require(c.state.status?.text)
        #expect(status.contains("granted with TTL(3s)"), "\(status)")
        let id = try #require(status.split(separator: " ").dropFirst().first.map(String.init))

        command("put session alive --lease \(id)", c)
        #expect(c.state.status?.text.hasPrefix("put session: revision") == true, "\(String(describing: c.state.status))")
        let header = Screen.render(c.snapshot(), c.state, width: 160, height: 40).text
        #expect(header.contains("leases 1, \(id.count > 6 ? String(id.prefix(5)) + "…" : id) ends in"), "\(header.prefix(400))")

        command("lease keepalive \(id)", c)
        #expect(c.state.status?.text.contains("kept alive with TTL(3)") == true, "\(String(describing: c.state.status))")

        // No more keep-alives: within the TTL and a little, the key is gone from every member.
        let cluster = c.cluster!
        #expect(cluster.run(until: {
            cluster.ids.allSatisfy { (try? cluster.get(key: Array("session".utf8), from: $0)).map { $0.value == nil } == true }
        }, limitNanos: 6_000_000_000))
        frames(c, 2)
        let after = Screen.render(c.snapshot(), c.state, width: 160, height: 40).text
        #expect(!after.contains("leases 1"))

        command("put orphan v --lease \(id)", c)
        #expect(c.state.status?.text.contains("etcdserver: requested lease not found") == true, "\(String(describing: c.state.status))")
    }
}
