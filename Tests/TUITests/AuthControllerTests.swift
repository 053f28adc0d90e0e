import Cluster
import Testing
@testable import TUI

/// Auth from the command line: set up a read-only user, act as it, and watch its put refused.
extension ControllerTests {
    func command(_ line: String, _ c: Controller) {
        c.handle(.character(":"))
        type(line, into: c)
        c.handle(.enter)
        frames(c, 6)
    }

    @Test func aPutAsAReadOnlyUserIsDeniedAndShownAsSuch() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        command("put greeting hello", c)
        command("role reader read greeting", c)
        #expect(c.state.status?.text == "role grant reader read greeting: done", "\(String(describing: c.state.status))")
        command("grant alice reader", c)
        command("auth enable", c)
        #expect(c.state.status?.text == "auth enable: done", "\(String(describing: c.state.status))")
        for member in c.cluster!.snapshot().members {
            #expect(member.status?.auth.enabled == true, "m\(member.id) has auth on")
        }

        command("put greeting anonymous", c)
        #expect(c.state.status?.text.contains("etcdserver: user name is empty") == true, "\(String(describing: c.state.status))")

        command("user alice", c)
        command("put greeting bye", c)
        #expect(c.state.status?.text.contains("etcdserver: permission denied") == true, "\(String(describing: c.state.status))")
        command("get greeting", c)
        #expect(c.state.status?.text.hasPrefix("greeting = hello") == true, "\(String(describing: c.state.status))")
        command("get other", c)
        #expect(c.state.status?.text.contains("permission denied") == true, "\(String(describing: c.state.status))")

        // The screen: an AUTH column, the user in the header, the denied put's trace with its
        // auth stage and its error.
        let snapshot = c.snapshot()
        let trace = try #require(snapshot.traces.first)
        #expect(trace.username == "alice" && trace.error == "etcdserver: permission denied")
        let text = Screen.render(snapshot, c.state, width: 120, height: 40).text
        for expected in ["AUTH", "on r", "user alice", "as alice", "auth checked", "error: etcdserver: permission denied"] {
            #expect(text.contains(expected), "the screen shows '\(expected)'")
        }

        command("user", c)
        #expect(c.state.user == nil)
    }
}
