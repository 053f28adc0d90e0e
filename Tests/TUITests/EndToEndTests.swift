import Foundation
import Testing

/// The real binary in a real terminal: tmux runs `rafttop`, keys go in with send-keys and the
/// screen comes back with capture-pane.
@Suite(.serialized) struct EndToEndTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let tmux: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// The binary `swift build` made (CI's .ci/run builds it before `swift test`).
    static let binary: String? = {
        let build = packageRoot.appendingPathComponent(".build")
        let candidates = [build.appendingPathComponent("debug/rafttop").path]
            + ((try? FileManager.default.contentsOfDirectory(atPath: build.path)) ?? []).map { build.appendingPathComponent("\($0)/debug/rafttop").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    @Test(.enabled(if: tmux != nil, "tmux is not installed: the end-to-end test needs it (.ci/run installs it)"),
          .timeLimit(.minutes(2)))
    func putKillTheLeaderAndQuitInTmux() async throws {
        let binary = try #require(Self.binary, "no .build/debug/rafttop: run `swift build` before `swift test`")
        let session = Tmux(path: Self.tmux!, socket: "rafttop-e2e-\(getpid())")
        let sttyFile = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-e2e-stty-\(getpid())").path
        defer {
            session.run(["kill-server"])
            try? FileManager.default.removeItem(atPath: sttyFile)
        }
        // In memory and unpacked: the test is of the terminal, and in a whole test run on two
        // cores the fsyncs took seconds, and member threads packed on one CPU shared it with
        // everything else (a put waited 4.5 s to be proposed and timed out).
        let script = "cd '\(Self.packageRoot.path)'; echo BEFORE-RAFTTOP; '\(binary)' --members 3 --in-memory --no-cpu-packing;"
            + " echo RAFTTOP-EXITED $?; stty -a > '\(sttyFile)'; sleep 120"
        session.run(["new-session", "-d", "-x", "120", "-y", "40", "-s", "e2e", "sh", "-c", script])

        // A leader is elected.
        var screen = try await session.waitFor("a leader") { CapturedScreen(text: $0).leader != nil }
        let before = CapturedScreen(text: screen)
        #expect(before.rows.count == 3)

        // A put typed through the : line is committed and applied on all three members.
        session.keys(":")
        session.keys("put e2e-key hello-from-tmux", literal: true)
        session.keys("Enter")
        screen = try await session.waitFor("COMMIT and APPLIED to grow on every member") { text in
            let now = CapturedScreen(text: text)
            return now.rows.count == 3 && now.rows.allSatisfy { row in
                let old = before.rows.first { $0.member == row.member }!
                return row.commit > old.commit && row.applied > old.applied
            }
        }
        #expect(screen.contains("put e2e-key: revision"), "the status line reports the put:\n\(screen)")

        // Killing the leader: another member leads.
        let oldLeader = try #require(CapturedScreen(text: screen).leader)
        session.keys("K")
        screen = try await session.waitFor("a new leader after killing m\(oldLeader)") { text in
            let now = CapturedScreen(text: text)
            return now.leader != nil && now.leader != oldLeader
        }
        #expect(CapturedScreen(text: screen).rows.first { $0.member == oldLeader }?.role == "-")

        // q quits and the terminal is as it was: the shell's screen is back, echo and line mode on.
        session.keys("q")
        // After the screen is restored, rafttop stops the members (each raft thread finishes the
        // fsync it is in) and removes its temporary WAL directory: a whole `swift test` run on two
        // cores once made that take over 120 s.
        screen = try await session.waitFor("rafttop to exit", seconds: 120) { $0.contains("RAFTTOP-EXITED") }
        #expect(screen.contains("RAFTTOP-EXITED 0"))
        #expect(screen.contains("BEFORE-RAFTTOP"), "the alternate screen was left:\n\(screen)")
        #expect(!screen.contains("COMMIT"), "nothing of the UI is left on the screen:\n\(screen)")
        // The shell creates the file before stty writes it: wait for its last line.
        _ = try await session.waitFor("stty output") { _ in
            ((try? String(contentsOfFile: sttyFile, encoding: .utf8)) ?? "").hasSuffix("\n")
        }
        let stty = try String(contentsOfFile: sttyFile, encoding: .utf8)
        let flags = Set(stty.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init))
        for flag in ["echo", "icanon", "isig", "icrnl", "opost"] {
            #expect(flags.contains(flag), "terminal mode \(flag) restored: \(stty)")
        }
    }
}

/// A tmux server of the test's own (its own socket, so it never touches a person's sessions).
struct Tmux {
    var path: String
    var socket: String

    /// Runs a tmux command and waits for it; returns what it printed. posix_spawn and waitpid
    /// directly: the tmux client that starts the server leaves a daemon behind holding whatever
    /// it inherited, so its output goes to a file, never a pipe.
    @discardableResult
    func run(_ arguments: [String]) -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-e2e-tmux-\(getpid())").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path, "-L", socket] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return "" }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    func keys(_ keys: String, literal: Bool = false) {
        run(["send-keys", "-t", "e2e"] + (literal ? ["-l"] : []) + [keys])
    }

    func capture() -> String {
        run(["capture-pane", "-p", "-t", "e2e"])
    }

    struct Timeout: Error, CustomStringConvertible {
        var what: String
        var screen: String
        var description: String { "timed out waiting for \(what); the screen was:\n\(screen)" }
    }

    /// Captures the screen until `condition` holds; returns that screen. It sleeps with
    /// `Task.sleep`, holding none of the cooperative pool's threads (one a core) that the other
    /// suites run on, and looks once more after the deadline, since those suites can keep it
    /// from running for a long while.
    func waitFor(_ what: String, seconds: Double = 120, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let screen = capture()
            if condition(screen) { return screen }
            if Date() > deadline { throw Timeout(what: what, screen: screen) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// What the test reads off the captured screen: the header's leader and the members table.
struct CapturedScreen {
    struct Row {
        var member: Int
        var role: String
        var commit: Int
        var applied: Int
    }

    var leader: Int?
    var rows: [Row] = []

    init(text: String) {
        let lines = text.split(separator: "\n").map(String.init)
        if let header = lines.first, let range = header.range(of: "leader m") {
            leader = Int(header[range.upperBound...].prefix { $0.isNumber })
        }
        // The members table: from its top border to its bottom one.
        let table = lines.drop { !$0.hasPrefix("┌ members") }.prefix { !$0.hasPrefix("└") }
        for line in table where line.hasPrefix("│▸m") || line.hasPrefix("│ m") {
            let fields = line.dropFirst().replacingOccurrences(of: "▸", with: " ").split(separator: " ").map(String.init)
            guard fields.count >= 5, fields[0].hasPrefix("m"), let member = Int(fields[0].dropFirst()) else { continue }
            // Down members show "-" for their numbers.
            rows.append(Row(member: member, role: fields[1], commit: Int(fields[3]) ?? -1, applied: Int(fields[4]) ?? -1))
        }
    }
}
