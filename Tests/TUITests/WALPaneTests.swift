import Cluster
import Testing
@testable import TUI

/// The WAL pane: an entry written to a slow disk shows as appended until its fsync finishes, the
/// members' columns line up by index, and the `/` filter and scrolling pick the rows.
@Suite struct WALPaneTests {
    static let millis: UInt64 = 1_000_000

    /// A cluster on simulated disks whose member 1 has a slow disk, and one put in flight that
    /// member 1 has written but not yet fsynced.
    func slowDiskSnapshot() throws -> (ClusterSnapshot, UInt64) {
        var config = ClusterConfig(memberCount: 3, driver: .simulated(seed: 42))
        config.network.latencyMicros = 2000
        config.storeOnSimulatedDisks(seed: 7)
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        cluster.run(until: { cluster.leader != nil })
        cluster.advance(byNanos: 100 * Self.millis)
        let slow: NodeID = cluster.leader == 1 ? 2 : 1
        try cluster.slowDisk(slow, latencyNanos: 300 * Self.millis, jitterNanos: 0, durationNanos: 10_000 * Self.millis, seed: 1)
        cluster.put(key: Array("k".utf8), value: Array("v".utf8))
        cluster.advance(byNanos: 50 * Self.millis)
        return (cluster.snapshot(), slow)
    }

    func columnText(_ canvas: Canvas, member: Int, of count: Int, area: Rect) -> [String] {
        let column = area.inset(1).columns(count)[member]
        return (column.y..<column.maxY).map { y in
            String(String.UnicodeScalarView((column.x..<column.maxX).map { canvas[$0, y].scalar }))
        }
    }

    @Test func anEntryNotYetFsyncedIsMarkedAppendedAndTheOthersDurable() throws {
        let (snapshot, slow) = try slowDiskSnapshot()
        let view = try #require(snapshot.members.first { $0.id == slow })
        let last = try #require(view.log.last)
        #expect(last.index > view.durableIndex, "the slow member's newest entry is written, not fsynced")
        #expect(last.summary.contains("put k"))
        let fast = try #require(snapshot.members.first { $0.id != slow && $0.id != snapshot.leader })
        #expect(fast.durableIndex >= last.index)

        let state = Scene.state()
        let text = Screen.render(snapshot, state, width: 120, height: 40).text
        let row = try #require(text.split(separator: "\n").first { $0.contains("put k = 1 B") })
        #expect(row.contains(WALPane.appendedMark + Format.padLeft(String(last.index), 6)), "\(row)")
        #expect(row.contains(WALPane.committedMark + Format.padLeft(String(last.index), 6))
                || row.contains(WALPane.appliedMark + Format.padLeft(String(last.index), 6)), "the others have it committed: \(row)")
        #expect(text.contains("d\(view.durableIndex)"), "the column's title gives the durable index")
    }

    @Test func everyColumnShowsTheSameIndexOnTheSameRow() throws {
        var snapshot = try Scene.snapshot()
        // Member 1 lags: its log lacks the two newest entries; member 3 lacks an old one.
        snapshot.members[0].log.removeLast(2)
        snapshot.members[2].log.removeFirst()
        let layout = Layout.compute(width: 120, height: 40, memberCount: 3)
        let canvas = Screen.render(snapshot, Scene.state(), width: 120, height: 40)
        let columns = (0..<3).map { columnText(canvas, member: $0, of: 3, area: layout.wal) }
        func index(_ cell: String) -> String? {
            cell.split(separator: " ").first { $0.allSatisfy(\.isNumber) }.map(String.init)
        }
        var rowsCompared = 0
        for row in 1..<columns[0].count {
            let indices = columns.map { index($0[row]) }
            guard let first = indices.compactMap({ $0 }).first else { continue }
            #expect(indices.allSatisfy { $0 == first }, "row \(row): \(columns.map { $0[row] })")
            rowsCompared += 1
        }
        #expect(rowsCompared >= 5)
        #expect(columns[0].contains { $0.contains(" -") }, "a missing entry shows as -")
    }

    @Test func theFilterKeepsMatchingEntriesAndEventsAndNamesItself() throws {
        let c = try ControllerTests().makeController()
        defer { c.cluster!.shutdown() }
        for i in 0..<5 { c.apply(.put(key: "key\(i)", value: "v")) }
        ControllerTests().frames(c, 4)
        c.handle(.character("/"))
        #expect(c.state.filterOpen)
        for ch in "key3" { c.handle(.character(ch)) }
        let typing = Screen.render(c.snapshot(), c.state, width: 120, height: 40)
        #expect(typing.line(39).hasPrefix("/key3"))
        c.handle(.enter)
        #expect(c.state.filter == "key3" && !c.state.filterOpen)
        let text = Screen.render(c.snapshot(), c.state, width: 120, height: 40).text
        #expect(text.contains("filter 'key3'"))
        #expect(text.contains("put key3"))
        #expect(!text.contains("put key2"))
        #expect(text.contains("events  filter 'key3': 0"))
        c.handle(.character("/"))
        c.handle(.escape)
        #expect(c.state.filter.isEmpty)
        let cleared = Screen.render(c.snapshot(), c.state, width: 120, height: 40).text
        #expect(cleared.contains("put key2") && !cleared.contains("filter '"))
        c.handle(.character("/"))
        for ch in "elected" { c.handle(.character(ch)) }
        c.handle(.enter)
        let events = Screen.render(c.snapshot(), c.state, width: 120, height: 40).text
        #expect(events.contains("events  filter 'elected': 1"), "\(events)")
        #expect(events.contains("elected leader for term"))
        c.handle(.escape)
        #expect(c.state.filter.isEmpty, "esc on the main screen clears the filter")
    }

    @Test func bothPanesScrollBackAndEndReturnsToTheNewest() throws {
        let c = try ControllerTests().makeController()
        defer { c.cluster!.shutdown() }
        for i in 0..<30 {
            c.apply(.put(key: "key\(i)", value: "v"))
            c.apply(.pause(.member(1)))
            c.apply(.resume(.member(1)))
            ControllerTests().frames(c, 1)
        }
        ControllerTests().frames(c, 4)
        let wal = Layout.compute(width: 120, height: 40, memberCount: 3).wal
        func walText() -> String {
            let canvas = Screen.render(c.snapshot(), c.state, width: 120, height: 40)
            return (wal.y..<wal.maxY).map(canvas.line).joined(separator: "\n")
        }
        #expect(walText().contains("put key29"))
        c.handle(.character("{"))
        c.handle(.pageUp)
        #expect(!walText().contains("put key29"), "the WAL pane scrolled back")
        #expect(walText().contains("newer below"))
        let back = Screen.render(c.snapshot(), c.state, width: 120, height: 40).text
        #expect(back.split(separator: "\n").contains { $0.contains("events") && $0.contains("newer below") })
        c.handle(.end)
        #expect(c.state.walScroll == 0 && c.state.eventsScroll == 0)
        #expect(walText().contains("put key29"))
    }
}
