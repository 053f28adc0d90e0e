import Cluster
import Foundation
import Testing
@testable import TUI

/// An active alarm in the members table: the box title names it, and an ALARM column marks the
/// member that raised it.
@Suite struct AlarmRenderTests {
    @Test func aNospaceAlarmShowsInTheTitleAndOnTheRaisingMembersRow() throws {
        var snapshot = try Scene.snapshot()
        let quiet = Screen.render(snapshot, Scene.state(), width: 120, height: 40).text
        #expect(!quiet.contains("ALARM"), "no alarm, no column")
        let alarm = RaisedAlarm(memberID: 2, alarm: .noSpace)
        for i in snapshot.members.indices { snapshot.members[i].status?.alarms = [alarm] }
        let text = Screen.render(snapshot, Scene.state(), width: 120, height: 40).text
        let lines = text.split(separator: "\n").map(String.init)
        let title = try #require(lines.first { $0.hasPrefix("┌ members") })
        #expect(title.contains("members  ALARM NOSPACE"))
        let header = try #require(lines.first { $0.contains("NODE") && $0.contains("ROLE") })
        let column = header.distance(from: header.startIndex, to: try #require(header.range(of: "ALARM")).lowerBound)
        func cell(_ member: String) throws -> String {
            let row = try #require(lines.first { $0.hasPrefix("│ \(member) ") || $0.hasPrefix("│▸\(member) ") })
            return String(row.dropFirst(column).prefix(8)).trimmingCharacters(in: .whitespaces)
        }
        #expect(try cell("m2") == "NOSPACE")
        #expect(try cell("m1") == "-")
        #expect(try cell("m3") == "-")
    }
}
