import Cluster
import Logging
import Testing
@testable import TUI

/// The controller driving a simulated cluster as the UI loop does: keys in, frames advancing
/// simulated time, effects read back from snapshots.
@Suite struct ControllerTests {
    static let frameNanos: UInt64 = 50_000_000

    func makeController() throws -> Controller {
        let cluster = try Scene.cluster()
        let controller = Controller(cluster: cluster, themes: ThemeCatalog(directories: [ThemeTests.themesDirectory]),
                                    theme: .builtIn, themeName: "default", seed: 3,
                                    logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        cluster.run(until: { cluster.leader != nil })
        return controller
    }

    func frames(_ controller: Controller, _ count: Int) {
        for _ in 0..<count {
            controller.beginFrame(frameNanos: Self.frameNanos)
            controller.observe(controller.snapshot())
        }
    }

    func type(_ text: String, into controller: Controller) {
        for c in text { controller.handle(.character(c)) }
    }

    @Test func aPutTypedOnTheCommandLineIsCommittedAndAppliedEverywhere() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        let before = c.cluster!.snapshot().members.map { $0.status!.raft.commit }
        c.handle(.character(":"))
        #expect(c.state.commandLineOpen)
        type("put greeting hello world", into: c)
        c.handle(.enter)
        #expect(!c.state.commandLineOpen)
        frames(c, 4)
        #expect(c.state.status?.text.hasPrefix("put greeting: revision") == true, "\(String(describing: c.state.status))")
        for (member, commit) in zip(c.cluster!.snapshot().members, before) {
            #expect(member.status!.raft.commit > commit)
            #expect(member.status!.appliedIndex > commit)
        }
        c.handle(.character(":"))
        type("get greeting", into: c)
        c.handle(.enter)
        #expect(c.state.status?.text.hasPrefix("greeting = hello world") == true, "\(String(describing: c.state.status))")
    }

    @Test func killingTheLeaderElectsAnother() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        let old = try #require(c.cluster!.leader)
        c.handle(.character("K"))
        #expect(c.cluster!.memberState(old) == .down)
        frames(c, 60)
        let new = try #require(c.cluster!.leader)
        #expect(new != old)
        c.handle(.character(Character(String(old))))
        c.handle(.character("r"))
        #expect(c.cluster!.memberState(old) == .up)
    }

    @Test func pauseStopsSimulatedTimeAndStepAdvancesItExactly() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        c.handle(.character(" "))
        #expect(c.state.paused)
        let t0 = c.cluster!.nowNanos()
        frames(c, 5)
        #expect(c.cluster!.nowNanos() == t0)
        c.handle(.character("s"))
        #expect(c.cluster!.nowNanos() == t0 + Controller.stepNanos)
        c.handle(.character(" "))
        frames(c, 1)
        #expect(c.cluster!.nowNanos() == t0 + Controller.stepNanos + Self.frameNanos)
    }

    @Test func speedScalesSimulatedTimePerFrame() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        c.handle(.character("<"))
        #expect(c.state.speed == 0.5)
        let t0 = c.cluster!.nowNanos()
        frames(c, 2)
        #expect(c.cluster!.nowNanos() == t0 + Self.frameNanos)
        c.handle(.character(">"))
        c.handle(.character(">"))
        #expect(c.state.speed == 2)
    }

    @Test func loadGeneratorStartsAndStops() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        c.handle(.character("l"))
        #expect(c.state.loadRunning)
        frames(c, 40)
        let acknowledged = c.cluster!.clientCounts.acknowledged
        #expect(acknowledged > 50)
        #expect(c.state.putsPerSecond > 20)
        c.handle(.character("l"))
        frames(c, 4)
        let after = c.cluster!.clientCounts.acknowledged
        frames(c, 10)
        #expect(c.cluster!.clientCounts.acknowledged == after)
    }

    @Test func membersAreSelectedIsolatedAndHealed() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        c.handle(.character("2"))
        #expect(c.state.selected == 2)
        c.handle(.character("i"))
        frames(c, 2)
        #expect(c.cluster!.memberState(2) == .partitioned)
        c.handle(.character("h"))
        #expect(c.cluster!.memberState(2) == .up)
        c.handle(.character("z"))
        #expect(c.cluster!.memberState(2) == .paused)
        c.handle(.character("z"))
        #expect(c.cluster!.memberState(2) == .up)
        c.handle(.character("7"))
        #expect(c.state.selected == 2)
        #expect(c.state.status?.kind == .error)
    }

    @Test func badCommandsReportAnErrorAndChangeNothing() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        let before = c.cluster!.snapshot().members.map(\.state)
        for line in ["kill 9", "partition 1", "load -1", "nonsense", "put", "speed 0"] {
            c.handle(.character(":"))
            type(line, into: c)
            c.handle(.enter)
            #expect(c.state.status?.kind == .error, "\(line)")
        }
        #expect(c.cluster!.snapshot().members.map(\.state) == before)
    }

    @Test func themesCycleAndABadThemeKeepsTheCurrentOne() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        let version = c.themeVersion
        c.handle(.character("T"))
        #expect(c.themeVersion == version + 1)
        #expect(c.state.themeName == "dracula")
        c.apply(.setTheme("missing"))
        #expect(c.state.themeName == "dracula")
        #expect(c.themeVersion == version + 1)
        #expect(c.state.status?.kind == .error)
    }

    @Test func helpKeysNeverActOnTheClusterAndQOrEscCloseIt() throws {
        let c = try makeController()
        defer { c.cluster!.shutdown() }
        c.handle(.character("?"))
        #expect(c.state.helpVisible)
        c.handle(.character("p"))
        #expect(c.state.helpVisible, "a key help does not use is ignored")
        #expect(c.cluster!.clientCounts.acknowledged == 0, "the key did not put")
        c.handle(.character("q"))
        #expect(!c.state.helpVisible)
        #expect(!c.state.quitRequested, "q in help closes help and does not quit")
        c.handle(.character("?"))
        c.handle(.escape)
        #expect(!c.state.helpVisible)
        #expect(!c.state.quitRequested)
        c.handle(.character("?"))
        c.handle(.control("c"))
        #expect(c.state.quitRequested)
    }
}
