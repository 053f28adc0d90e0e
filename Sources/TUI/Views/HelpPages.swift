/// The pages of help: an index of keys and commands, and one legend per pane that explains
/// every column, mark and abbreviation there, so the screen can be read without the source.
public enum HelpPage: String, Sendable, CaseIterable {
    case index, members, wal, trace, messages, events, latency, header

    /// The key that opens the page while help is open.
    public var key: Character {
        switch self {
        case .index: "?"
        case .members: "m"
        case .wal: "w"
        case .trace: "t"
        case .messages: "g"
        case .events: "e"
        case .latency: "l"
        case .header: "h"
        }
    }

    public var title: String {
        switch self {
        case .index: "keys and commands"
        case .members: "members table"
        case .wal: "WAL pane"
        case .trace: "trace pane"
        case .messages: "messages pane"
        case .events: "events pane"
        case .latency: "latency pane"
        case .header: "header line"
        }
    }

    public static func page(forKey c: Character) -> HelpPage? {
        allCases.first { $0.key == c }
    }
}

/// One line of a help page: a term (a key, a column, a mark) and what it means; a heading has
/// only the term, a paragraph only the meaning.
struct HelpLine: Equatable {
    var term: String
    var meaning: String
    var isHeading = false
    /// Text across the page's width, not under the meanings.
    var isParagraph = false

    static func heading(_ text: String) -> HelpLine { HelpLine(term: text, meaning: "", isHeading: true) }
    static func text(_ text: String) -> HelpLine { HelpLine(term: "", meaning: text, isParagraph: true) }
    static let blank = HelpLine(term: "", meaning: "")
}

enum HelpPages {
    /// The lines of `page`; attached to an external cluster, the index lists only what works there.
    static func lines(_ page: HelpPage, attached: Bool, launched: Bool = false) -> [HelpLine] {
        switch page {
        case .index: index(attached: attached, launched: launched)
        case .members: attached ? AttachedHelp.members : members
        case .wal: wal
        case .trace: trace
        case .messages: messages
        case .events: events
        case .latency: latency
        case .header: header
        }
    }

    /// How to move in help, shown at the top of every page.
    static let navigation: [HelpLine] = [
        HelpLine(term: "m w t g e l h", meaning: "legend of: members, WAL, trace, messages, events, latency, header"),
        HelpLine(term: "? backspace", meaning: "back to keys and commands"),
        HelpLine(term: "up down j k", meaning: "scroll a line; pgup pgdn space: a page; home end"),
        HelpLine(term: "q esc", meaning: "close help (q here does not quit)"),
    ]

    static func index(attached: Bool, launched: Bool = false) -> [HelpLine] {
        var out: [HelpLine] = [.heading("help")] + navigation + [.blank, .heading("keys")]
        for binding in KeyMap.bindings where !attached || AttachedHelp.works(binding.action) || (launched && AttachedHelp.controls(binding.action)) {
            out.append(HelpLine(term: binding.keys, meaning: binding.help))
        }
        out += extraKeys.map { HelpLine(term: $0.keys, meaning: $0.help) }
        out += [.blank, .heading(": commands")]
        for command in CommandParser.commands
        where !attached || AttachedHelp.commands.contains(command.name) || (launched && AttachedHelp.controlCommands.contains(command.name)) {
            out.append(HelpLine(term: command.usage, meaning: command.help))
        }
        if launched {
            out += [.blank, .text("real etcd launched by rafttop: kill, pause and restart act on its processes, isolate, partition, "
                                  + "latency and loss on its peer proxies (docs/real-etcd.md); the rest is left out")]
        } else if attached {
            out += [.blank, .text("attached to an external etcd cluster: keys and commands that control members are left out")]
        }
        return out
    }

    /// Keys the controller handles outside the key map's table (filter and scrolling).
    static let extraKeys: [(keys: String, help: String)] = [
        ("/", "filter the WAL and events panes (esc or empty clears)"),
        ("esc", "with a filter set: clear it"),
        ("pgup pgdn", "scroll the events pane back / forward"),
        ("{ }", "scroll the WAL pane back / forward"),
        ("end", "WAL and events panes back to the newest"),
    ]

    static let members: [HelpLine] = [
        .heading("members table: one row per member"),
        .text("The leader's row is in the leader colour, candidates in the candidate colour;"),
        .text("paused or partitioned members in warning colour, down members in the down colour."),
        .blank,
        HelpLine(term: "NODE", meaning: "member id; ▸ marks the selected member (1-9 selects)"),
        HelpLine(term: "ROLE", meaning: "raft role: leader, follower, candidate, pre-cand (PreVote), learner"),
        HelpLine(term: "TERM", meaning: "the raft term this member is in"),
        HelpLine(term: "COMMIT", meaning: "highest log index it knows is committed (on a quorum)"),
        HelpLine(term: "APPLIED", meaning: "highest index applied to its key-value store (MVCC)"),
        HelpLine(term: "PENDING", meaning: "requests it received and waits to answer: registered with"),
        HelpLine(term: "", meaning: "wait.Register, not yet triggered (etcd_server_proposals_pending)"),
        HelpLine(term: "WAL", meaning: "HOW MANY entries its log holds since its last snapshot (a"),
        HelpLine(term: "", meaning: "count, k = thousands); the WAL pane shows the newest entries"),
        HelpLine(term: "LAST", meaning: "index of the last entry in its log"),
        HelpLine(term: "FSYNC", meaning: "how long its last WAL fsync took, in ms; * its disk is slowed (:disk)"),
        HelpLine(term: "STATE", meaning: "up, down (crashed), paused, or partitioned"),
        HelpLine(term: "MATCH/NEXT", meaning: "the leader's progress for it: highest index known replicated"),
        HelpLine(term: "", meaning: "/ next index the leader sends"),
        HelpLine(term: "PROGRESS", meaning: "probe, replicate or snapshot; * means paused (inflights full)"),
        HelpLine(term: "VOTE", meaning: "whom it voted for in this term"),
        HelpLine(term: "TIMER", meaning: "elect 7/13: ticks since it last heard from a leader, against"),
        HelpLine(term: "", meaning: "its randomized election timeout (at 13/13 it campaigns);"),
        HelpLine(term: "", meaning: "hb 0/1 on the leader: ticks since its last heartbeat"),
        HelpLine(term: "AUTH", meaning: "auth on or off, and the auth revision (shown once auth is used)"),
        HelpLine(term: "ALARM", meaning: "alarms this member raised, e.g. NOSPACE (shown when any)"),
    ]

    static let wal: [HelpLine] = [
        .heading("WAL pane: each member's newest log entries"),
        .text("One column per member; the same index is on the same row in every column, so an entry"),
        .text("can be followed across the members. A column's title: mN role, c commit, a applied,"),
        .text("d durable (highest index fsynced to its WAL)."),
        .blank,
        HelpLine(term: WALPane.appliedMark, meaning: "applied to the store (and committed, and durable)"),
        HelpLine(term: WALPane.committedMark, meaning: "committed on a quorum, not yet applied here"),
        HelpLine(term: WALPane.durableMark, meaning: "durable: written and fsynced to this member's WAL, not committed"),
        HelpLine(term: WALPane.appendedMark, meaning: "appended: written to the WAL, fsync not yet done"),
        .blank,
        HelpLine(term: "index", meaning: "the entry's log index"),
        HelpLine(term: "t2", meaning: "the term the entry was proposed in"),
        HelpLine(term: "req empty conf", meaning: "a client request, a new leader's empty entry, a member change"),
        HelpLine(term: "/ filter", meaning: "shows only entries whose text contains it (in the title)"),
        HelpLine(term: "{ }", meaning: "scroll back / forward; end returns to the newest"),
        .blank,
        .text("Not the members table's WAL column: that counts entries since the last snapshot."),
    ]

    static let trace: [HelpLine] = [
        .heading("trace pane: where one put spent its time"),
        .text("The put's request id, key and index, then its stages: the leader's row, one row per"),
        .text("follower, and the commit, apply and answer. A put still in flight shows - for what"),
        .text("has not happened yet. Every time reads \"at +took\":"),
        .blank,
        HelpLine(term: "at", meaning: "ms since the member received the request"),
        HelpLine(term: "+took", meaning: "ms since the stage it waits on: the one to its left, or the"),
        HelpLine(term: "", meaning: "one named after ← (append←m1: since the leader's append;"),
        HelpLine(term: "", meaning: "apply←commit: since the commit; commit←quorum: since the"),
        HelpLine(term: "", meaning: "quorum's last durable copy)"),
        HelpLine(term: "recv", meaning: "the member got the request (EtcdServer.Put)"),
        HelpLine(term: "auth checked", meaning: "user and auth revision put in the header (auth on)"),
        HelpLine(term: "prop", meaning: "handed to raft (node.Propose)"),
        HelpLine(term: "append", meaning: "the leader appended it to its log (appendEntry)"),
        HelpLine(term: "fsync", meaning: "the WAL write and fsync finished (wal.Save)"),
        HelpLine(term: "follower row", meaning: "its append, fsync, ack (MsgAppResp at the leader), apply"),
        HelpLine(term: "commit", meaning: "a quorum holds it durably (maybeCommit)"),
        HelpLine(term: "apply", meaning: "applied to the store (applyV3.Put)"),
        HelpLine(term: "responded", meaning: "the answer went back (wait.Trigger)"),
        HelpLine(term: "[ ]", meaning: "older / newer put; Tab to the pane, up/down and Enter pin one;"),
        HelpLine(term: "", meaning: ":trace KEY or :trace ID pins one; esc unpins"),
    ]

    static let messages: [HelpLine] = [
        .heading("messages pane: raft messages on the network, soonest first"),
        .text("e.g. MsgApp  m1→m2  t2 i4 +1 c4   in 2.0"),
        .blank,
        HelpLine(term: "m1→m2", meaning: "from member 1 to member 2"),
        HelpLine(term: "t2", meaning: "the sender's term"),
        HelpLine(term: "i4", meaning: "MsgApp: index of the entry before the ones it carries;"),
        HelpLine(term: "", meaning: "MsgAppResp: the highest index the follower has (reject: it lacks it)"),
        HelpLine(term: "+1", meaning: "how many entries the MsgApp carries"),
        HelpLine(term: "c4", meaning: "the leader's commit index, which the follower adopts"),
        HelpLine(term: "last 2/7", meaning: "MsgVote, MsgPreVote: the candidate's last log term / index"),
        HelpLine(term: "granted", meaning: "MsgVoteResp, MsgPreVoteResp: the vote given or rejected"),
        HelpLine(term: "in 2.0", meaning: "ms until the network delivers it (:latency sets it)"),
        HelpLine(term: "x3", meaning: "three identical messages on one row"),
        HelpLine(term: "+5 more", meaning: "messages that do not fit the pane"),
    ]

    static let events: [HelpLine] = [
        .heading("events pane: what happened, newest at the bottom"),
        HelpLine(term: "12.3s", meaning: "seconds since rafttop started"),
        HelpLine(term: "elected", meaning: "a leader won an election; after N ms: since the old one was lost"),
        HelpLine(term: "colours", meaning: "leader colour: elections; error: leader lost, crash; warning:"),
        HelpLine(term: "", meaning: "errors returned to clients, pauses, partitions; applied: recoveries"),
        HelpLine(term: "/ filter", meaning: "shows only events whose text contains it (in the title)"),
        HelpLine(term: "pgup pgdn", meaning: "scroll back / forward; end returns to the newest"),
    ]

    static let latency: [HelpLine] = [
        .heading("latency pane: how long puts took, received to answered"),
        HelpLine(term: "n= err", meaning: "puts measured, and puts that failed"),
        HelpLine(term: "p50 ... max", meaning: "percentiles in ms: p99 is what 99 of 100 puts beat"),
        HelpLine(term: "p99/s", meaning: "p99 of each second, one mark per second"),
        HelpLine(term: "≤2.0", meaning: "histogram rows: puts that took at most 2.0 ms, bar and count"),
        HelpLine(term: "R", meaning: "resets the figures"),
    ]

    static let header: [HelpLine] = [
        .heading("header line: the cluster at a glance"),
        HelpLine(term: "N members", meaning: "members in the cluster"),
        HelpLine(term: "leader mN", meaning: "the member leading now; none while there is no leader"),
        HelpLine(term: "term N", meaning: "the highest raft term any member is in"),
        HelpLine(term: "running", meaning: "or PAUSED (space): the cluster and display are frozen"),
        HelpLine(term: "speed 1x sim", meaning: "slow-motion factor (< >); sim: simulated time"),
        HelpLine(term: "t 6.302s", meaning: "simulated time, to the millisecond (--sim)"),
        HelpLine(term: "stop on", meaning: "--sim pauses when this happens (:stopon)"),
        HelpLine(term: "puts N (R/s)", meaning: "puts answered so far, and per second"),
        HelpLine(term: "p50 p99 ms", meaning: "put latency percentiles, received to answered"),
        HelpLine(term: "load R/s", meaning: "the load generator's target rate, or load off"),
        HelpLine(term: "leases N", meaning: "leases the leader holds, the next to end and when"),
        HelpLine(term: "user NAME", meaning: "the user puts and gets run as (:user)"),
        HelpLine(term: "data DIR", meaning: "where the WALs are (memory: not on disk)"),
        HelpLine(term: "threads", meaning: "on CPU N: member threads packed on one CPU; or spread"),
    ]
}

/// What works when rafttop is attached to an external etcd cluster: help leaves out the rest.
enum AttachedHelp {
    static let commands: Set<String> = ["put", "get", "del", "load", "theme", "help", "quit"]

    static func works(_ action: Action) -> Bool {
        switch action {
        case .quit, .toggleHelp, .dismiss, .openCommandLine, .redraw, .cycleTheme, .setTheme, .cycleDetailPane, .select,
             .putRandom, .put, .get, .delete, .toggleLoad, .changeLoadRate, .setLoadRate, .resetLatency:
            true
        default:
            false
        }
    }

    /// What `ExternalControls` carry out on real etcd rafttop launched.
    static let controlCommands: Set<String> = ["kill", "restart", "pause", "resume", "isolate", "partition", "heal", "transfer", "latency", "loss"]

    static func controls(_ action: Action) -> Bool {
        switch action {
        case .kill, .restart, .pause, .resume, .togglePause, .isolate, .transfer, .partition, .heal, .setLatency, .setLoss: true
        default: false
        }
    }
}
