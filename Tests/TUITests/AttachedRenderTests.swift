import Cluster
import Foundation
import Testing
@testable import TUI

/// The screen attached to an external cluster, from a hand-built snapshot: members up and down,
/// and the panes an external cluster cannot fill saying so.
@Suite struct AttachedRenderTests {
    static func member(_ id: UInt64, up: Bool, leader: Bool = false, metrics: AttachedMetrics? = nil) -> AttachedMember {
        AttachedMember(id: id, endpoint: "127.0.0.1:2379\(id)", reachable: up, memberID: up ? 0xabc0 + id : 0, isLeader: leader,
                       raftTerm: up ? 4 : 0, raftIndex: up ? 120 : 0, raftAppliedIndex: up ? 119 : 0, revision: up ? 57 : 0,
                       dbSizeBytes: up ? 20480 : 0, version: up ? "3.4.23" : "", statusMicros: 900,
                       errors: up ? [] : ["connection refused"], metrics: metrics,
                       metricsError: metrics == nil ? (up ? "metrics: HTTP 404" : "metrics: cannot connect: Connection refused") : nil)
    }

    /// What etcd 3.4's /metrics gives of a leader under a little load: no apply durations.
    static let leaderMetrics = AttachedMetrics(
        proposalsPending: 3, proposalsCommitted: 1204, proposalsApplied: 1201, proposalsFailed: 2, leaderChanges: 1,
        slowApplies: 0, walFsync: LatencyQuantiles(p50Micros: 640, p99Micros: 3900, count: 87),
        backendCommit: LatencyQuantiles(p50Micros: 1500, p99Micros: 12_000, count: 9), apply: nil, applyExported: false,
        windowMillis: 10_000)

    static func snapshot() -> ClusterSnapshot {
        let members = [member(1, up: true, leader: true, metrics: leaderMetrics), member(2, up: true), member(3, up: false)]
        let write = AttachedWrite(key: "k42", valueBytes: 256, revision: 57, raftTerm: 4, via: 1, latencyMicros: 2100, atNanos: 0)
        var latency = LatencyRecorder()
        latency.record(micros: 2100)
        return .attached(AttachedView(endpoints: members.map(\.endpoint), members: members, writes: [write]), nowNanos: 0,
                         latency: latency, events: [ClusterEvent(atNanos: 0, kind: .leaderElected(leader: 1, term: 4, electionNanos: nil))],
                         putsAcknowledged: 1, putsFailed: 0)
    }

    static func state() -> UIState {
        var state = UIState()
        state.attached = true
        return state
    }

    @Test func theWideScreenShowsEveryMemberAndSaysWhatItCannotShow() throws {
        let text = Screen.render(Self.snapshot(), Self.state(), width: 140, height: 40).text
        let lines = text.split(separator: "\n")
        let leaderRow = try #require(lines.first { $0.contains("m1 ") && $0.contains("127.0.0.1:23791") })
        #expect(leaderRow.contains("leader") && leaderRow.contains(" 120 ") && leaderRow.contains("119"))
        #expect(leaderRow.contains("20.0 KiB"))
        // Its /metrics: pending, fsync and backend commit p50/p99 over the window, proposals committed/applied/failed.
        #expect(leaderRow.contains(" 3 ") && leaderRow.contains("0.64/3.9") && leaderRow.contains("1.5/12.0")
            && leaderRow.contains("1204/1201/2"))
        #expect(lines.contains { $0.contains("PENDING") && $0.contains("FSYNC p50/p99") && !$0.contains("APPLY p50/p99") })
        #expect(text.contains("p50/p99 ms over last 10 s"))
        let noMetricsRow = try #require(lines.first { $0.contains("m2 ") && $0.contains("127.0.0.1:23792") })
        #expect(noMetricsRow.contains("follower") && noMetricsRow.contains("metrics: HTTP 404"))
        let downRow = lines.first { $0.contains("m3 ") && $0.contains("127.0.0.1:23793") }
        #expect(downRow?.contains("down") == true && downRow?.contains("connection refused") == true)
        #expect(text.contains("leader m1"))
        #expect(text.contains("term 4"))
        #expect(text.contains("attached to etcd") && !text.contains("speed 1x"))
        #expect(text.contains("WAL entries: not available when attached to an external cluster"))
        #expect(text.contains("per-stage put traces: not available when attached to an external cluster"))
        // The messages pane is narrower: its sentence wraps.
        #expect(text.contains("raft messages between members: not available when"))
        #expect(text.components(separatedBy: "attached to an external cluster").count - 1 == 3)
        #expect(text.contains("k42") && text.contains("revision 57"))
        #expect(text.contains("member 1 elected leader for term 4"))
        #expect(!text.contains("K kill leader"))
    }

    @Test func theNarrowScreenSaysSoInEachDetailPane() {
        var state = Self.state()
        for pane in DetailPane.allCases {
            state.detailPane = pane
            let text = Screen.render(Self.snapshot(), state, width: 80, height: 24).text
            #expect(text.contains("m3") && text.contains("down"))
            switch pane {
            case .trace, .messages: #expect(text.contains("not available when attached"), "\(pane)")
            case .latency: #expect(text.contains("n=1"))
            case .events: #expect(text.contains("elected leader"))
            }
        }
    }

    @Test func realMembersWALsLineUpByIndexWhenTheirDataDirectoriesAreKnown() {
        var snapshot = Self.snapshot()
        func entry(_ index: UInt64, _ summary: String) -> WALEntryView {
            WALEntryView(index: index, term: 4, kind: .request, summary: summary, sizeBytes: 40)
        }
        snapshot.attached?.wal = [
            1: AttachedWAL(entries: [entry(118, "put a = 1 B"), entry(119, "put b = 1 B"), entry(120, "put k42 = 256 B")], commit: 120, note: nil),
            2: AttachedWAL(entries: [entry(119, "put b = 1 B"), entry(120, "put k42 = 256 B")], commit: 119, note: nil),
        ]
        let text = Screen.render(snapshot, Self.state(), width: 140, height: 40).text
        #expect(text.contains("WAL (etcd's own)"))
        let row = text.split(separator: "\n").first { $0.contains("120") && $0.contains("put k42") }
        #expect(row.map { $0.components(separatedBy: "put k42").count - 1 } == 2, "index 120 on one row for both members")
        #expect(row?.contains(WALPane.committedMark) == true, "above applied 119, within commit 120")
        #expect(text.contains("(no data directory: its WAL cannot be read)"), "member 3's WAL was not given")
        #expect(!text.contains("keys written by rafttop"))
    }
}

/// The members legend attached to etcd explains every column the attached table can show.
@Suite struct AttachedHelpTests {
    @Test func theAttachedLegendExplainsEveryMetricsColumn() {
        let text = HelpPages.lines(.members, attached: true).map { $0.term + " " + $0.meaning }.joined(separator: "\n")
        for column in AttachedMetricsColumns.columns(apply: true) {
            #expect(text.contains(column.title), "the attached legend explains \(column.title)")
        }
        for title in ["INDEX", "APPLIED", "REV", "DB", "RTT", "MEMBER ID", "last 10 s", "since start"] {
            #expect(text.contains(title))
        }
        #expect(!text.contains("MATCH/NEXT"), "the built-in cluster's columns are not in the attached legend")
    }
}
