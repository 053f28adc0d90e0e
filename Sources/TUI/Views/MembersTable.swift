import Cluster

/// The members table: one row per member, the leader's row standing out, columns dropped from
/// the right of the optional ones when the terminal is narrow.
enum MembersTable {
    struct Column: Sendable {
        var title: String
        var width: Int
        /// Columns with a higher priority stay longer as the terminal narrows; 0 always stays.
        var priority: Int
        /// Text reads from the left; numbers line up on the right.
        var left = false
        var value: @Sendable (Row) -> String

        func cell(_ text: String) -> String {
            left ? Format.padRight(text, width) : Format.padLeft(text, width)
        }
    }

    struct Row {
        var view: MemberView
        var leaderProgress: FollowerProgressView?
        var isLeader: Bool
    }

    static let columns: [Column] = [
        Column(title: "NODE", width: 5, priority: 0, left: true) { "m\($0.view.id)" },
        Column(title: "ROLE", width: 9, priority: 0, left: true) { row in
            guard let status = row.view.status else { return "-" }
            // A learner is a follower that never votes: named for what it is.
            if status.raft.learners.contains(row.view.id) { return "learner" }
            return status.raft.role == .preCandidate ? "pre-cand" : status.raft.role.description
        },
        Column(title: "TERM", width: 4, priority: 0) { $0.view.status.map { String($0.raft.term) } ?? "-" },
        Column(title: "COMMIT", width: 6, priority: 0) { $0.view.status.map { String($0.raft.commit) } ?? "-" },
        Column(title: "APPLIED", width: 7, priority: 0) { $0.view.status.map { String($0.appliedIndex) } ?? "-" },
        Column(title: "PENDING", width: 7, priority: 0) { $0.view.status.map { String($0.proposalsPending) } ?? "-" },
        Column(title: "WAL", width: 5, priority: 0) { row in
            // Entries the log holds since its last snapshot.
            guard let s = row.view.status else { return "-" }
            return Format.count(s.raft.lastIndex >= s.raft.firstIndex ? s.raft.lastIndex - s.raft.firstIndex + 1 : 0)
        },
        Column(title: "LAST", width: 6, priority: 5) { $0.view.status.map { String($0.raft.lastIndex) } ?? "-" },
        Column(title: "FSYNC", width: 5, priority: 5) { row in
            // A disk slowed with `:disk` is marked: its fsyncs take that much longer.
            row.view.status == nil ? "-" : Format.millis(micros: row.view.fsyncMicrosLast) + (row.view.diskDelayNanos > 0 ? "*" : "")
        },
        Column(title: "STATE", width: 11, priority: 6, left: true) { $0.view.state.rawValue },
        Column(title: "MATCH/NEXT", width: 11, priority: 3) { row in
            guard let p = row.leaderProgress, !row.isLeader else { return row.isLeader ? "(leader)" : "-" }
            return "\(p.match)/\(p.next)"
        },
        Column(title: "PROGRESS", width: 9, priority: 2, left: true) { row in
            guard let p = row.leaderProgress, !row.isLeader else { return "-" }
            return p.state.description + (p.paused ? "*" : "")
        },
        Column(title: "VOTE", width: 4, priority: 1) { row in
            guard let vote = row.view.status?.raft.vote, vote != noMember else { return "-" }
            return "m\(vote)"
        },
        Column(title: "TIMER", width: 11, priority: 7, left: true) { row in
            guard let status = row.view.status else { return "-" }
            return timerText(status.raft.timer, role: status.raft.role)
        },
    ]

    /// A follower's or candidate's election timer against its randomized timeout (it campaigns
    /// when they meet), `elect 7/13`; a leader's heartbeat timer, `hb 0/1`; in ticks.
    static func timerText(_ timer: ElectionTimerView, role: MemberRole) -> String {
        role == .leader ? "hb \(timer.heartbeatElapsed)/\(timer.heartbeatTimeout)"
            : "elect \(timer.electionElapsed)/\(timer.randomizedElectionTimeout)"
    }

    /// Whether auth is on at the member, and its auth revision: shown once any member has an
    /// auth state to show, so a cluster without auth keeps its table as it was.
    static let authColumn = Column(title: "AUTH", width: 7, priority: 4, left: true) { row in
        guard let auth = row.view.status?.auth else { return "-" }
        return "\(auth.enabled ? "on" : "off") r\(auth.revision)"
    }

    /// The alarms a member raised (etcd's `alarm list` names the member out of space), as its
    /// row's own member applied them: shown once any member knows of an alarm.
    static let alarmColumn = Column(title: "ALARM", width: 8, priority: 7, left: true) { row in
        let raised = row.view.status?.alarms.filter { $0.memberID == row.view.id } ?? []
        return raised.isEmpty ? "-" : raised.map(\.alarm.description).joined(separator: ",")
    }

    /// The columns that fit in `width`, in table order.
    static func visibleColumns(width: Int, auth: Bool = false, alarms: Bool = false) -> [Column] {
        let all = columns + (auth ? [authColumn] : []) + (alarms ? [alarmColumn] : [])
        var chosen = all.enumerated().map { $0 }
        func total(_ cols: [(offset: Int, element: Column)]) -> Int { cols.reduce(0) { $0 + $1.element.width + 1 } + 2 }
        while total(chosen) > width, let drop = chosen.filter({ $0.element.priority > 0 }).min(by: { $0.element.priority < $1.element.priority || ($0.element.priority == $1.element.priority && $0.offset > $1.offset) }) {
            chosen.removeAll { $0.offset == drop.offset }
        }
        return chosen.map(\.element)
    }

    static func render(_ snapshot: ClusterSnapshot, _ state: UIState, into canvas: inout Canvas, area: Rect) {
        guard area.height >= 3 else { return }
        let leaderView = snapshot.members.first { $0.id == snapshot.leader }
        let progress = leaderView?.status?.raft.progress ?? [:]
        let alarms = Set(snapshot.members.flatMap { $0.status?.alarms ?? [] }.map(\.alarm)).sorted()
        let slowDisks = snapshot.members.filter { $0.diskDelayNanos > 0 }
            .map { "m\($0.id) +\(Format.millis(nanos: $0.diskDelayNanos))" }
        canvas.box(area, title: "members" + (snapshot.leader == nil ? "  (no leader)" : "")
            + (slowDisks.isEmpty ? "" : "  disk* " + slowDisks.joined(separator: " ") + " ms/fsync")
            + (alarms.isEmpty ? "" : "  ALARM " + alarms.map(\.description).joined(separator: ",")))
        let inner = area.inset(1)
        let hasAuth = snapshot.members.contains { ($0.status?.auth.revision ?? 1) > 1 }
        let cols = visibleColumns(width: area.width, auth: hasAuth, alarms: !alarms.isEmpty)
        var x = inner.x
        for col in cols {
            canvas.write(col.cell(col.title), x: x, y: inner.y, role: .dim, clip: inner)
            x += col.width + 1
        }
        for (i, view) in snapshot.members.enumerated() {
            let y = inner.y + 1 + i
            guard y < inner.maxY else { break }
            let row = Row(view: view, leaderProgress: progress[view.id], isLeader: view.id == snapshot.leader)
            let role = rowRole(view, isLeader: row.isLeader)
            x = inner.x
            for (c, col) in cols.enumerated() {
                var text = col.value(row)
                if c == 0 { text = (view.id == state.selected ? "▸" : " ") + text }
                canvas.write(col.cell(text), x: x, y: y, role: role, clip: inner)
                x += col.width + 1
            }
            if view.id == state.selected {
                // The whole row while the members have the focus (as htop's cursor), its name otherwise.
                let width = state.focus == .members ? inner.width : cols[0].width
                canvas.restyle(Rect(x: inner.x, y: y, width: width, height: 1), role: .selection)
            }
        }
    }

    static func rowRole(_ view: MemberView, isLeader: Bool) -> StyleRole {
        switch view.state {
        case .down: return .down
        case .paused, .partitioned: return .warning
        case .up:
            if isLeader { return .leader }
            switch view.status?.raft.role {
            case .candidate?, .preCandidate?: return .candidate
            default: return .follower
            }
        }
    }
}
