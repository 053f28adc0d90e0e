import Cluster
import Foundation
import Testing
@testable import TUI

@Suite struct CommandTests {
    func parse(_ line: String) -> Result<Action, CommandError> {
        CommandParser.parse(line, memberCount: 3)
    }

    @Test(arguments: [
        ("put k1 hello", Action.put(key: "k1", value: "hello")),
        ("put k1 hello  world ", .put(key: "k1", value: "hello  world")),
        ("  PUT k v", .put(key: "k", value: "v")),
        ("put k1 hello --lease 694d7a5c2f5e1c0b", .put(key: "k1", value: "hello", lease: 0x694d7a5c2f5e1c0b)),
        ("put k1 hello world --lease=ff", .put(key: "k1", value: "hello world", lease: 0xff)),
        ("lease grant 10", .lease(.grant(ttlSeconds: 10))),
        ("lease grant 30s", .lease(.grant(ttlSeconds: 30))),
        ("lease revoke 694d7a5c2f5e1c0b", .lease(.revoke(id: 0x694d7a5c2f5e1c0b))),
        ("lease keepalive 0xff", .lease(.keepAlive(id: 0xff))),
        ("get k1", .get(key: "k1")),
        ("del k1", .delete(key: "k1")),
        ("kill 2", .kill(.member(2))),
        ("kill m3", .kill(.member(3))),
        ("restart 1", .restart(.member(1))),
        ("pause 3", .pause(.member(3))),
        ("resume 3", .resume(.member(3))),
        ("isolate 1", .isolate(.member(1))),
        ("partition 1,2 3", .partition([[1, 2], [3]])),
        ("heal", .heal),
        ("transfer 2", .transfer(.member(2))),
        ("member add", .addMember(learner: false)),
        ("member add --learner", .addMember(learner: true)),
        ("member remove 2", .removeMember(.member(2))),
        ("member rm m3", .removeMember(.member(3))),
        ("promote 3", .promote(.member(3))),
        ("load 200", .setLoadRate(200)),
        ("load 0", .setLoadRate(0)),
        ("load off", .setLoadRate(0)),
        ("latency 20", .setLatency(millis: 20)),
        ("latency 2.5ms", .setLatency(millis: 2.5)),
        ("loss 10", .setLoss(percent: 10)),
        ("loss 5%", .setLoss(percent: 5)),
        ("speed 0.1", .setSpeed(0.1)),
        ("speed 2x", .setSpeed(2)),
        ("step", .step),
        ("theme nord", .setTheme("nord")),
        ("user alice", .setUser("alice")),
        ("user", .setUser(nil)),
        ("auth enable", .auth(.enable)),
        ("auth off", .auth(.disable)),
        ("role reader read foo", .auth(.grantPermission(role: "reader", kind: .read, range: KeySpan(key: Array("foo".utf8))))),
        ("role app readwrite app/*", .auth(.grantPermission(role: "app", kind: .readwrite, range: .prefix(Array("app/".utf8))))),
        ("revoke app app/*", .auth(.revokePermission(role: "app", range: .prefix(Array("app/".utf8))))),
        ("grant alice reader", .auth(.grantRole(user: "alice", role: "reader"))),
        ("help", .toggleHelp),
        ("quit", .quit),
        ("disk 2 50", .setDiskDelay(member: 2, millis: 50)),
        ("disk m3 12.5ms", .setDiskDelay(member: 3, millis: 12.5)),
        ("disk 1 0", .setDiskDelay(member: 1, millis: 0)),
        ("stopon candidate", .stopOn(.candidate)),
        ("stopon Leader-Lost", .stopOn(.leaderLost)),
        ("stopon off", .stopOn(nil)),
    ])
    func everyCommandParses(line: String, action: Action) {
        #expect(parse(line) == .success(action))
    }

    @Test func everyListedCommandHasAParsingExample() {
        for spec in CommandParser.commands {
            let placeholders: [(String, String)] = [
                ("KEY", "k"), ("VALUE", "v"), ("PERCENT", "1"), ("NAME", "nord"), ("RATE", "10"), ("MS", "5"),
                ("FACTOR", "0.5"), (" N", " 1"), ("on|off", "on"), ("PERM", "read"), ("[nord]", "nord"), ("USER", "u"),
                (" R", " r"), ("add|rm 1", "rm 1"), ("TTL", "10"), ("EVENT", "candidate"), ("[failover]", "failover"),
            ]
            var example = spec.usage
            for (placeholder, value) in placeholders {
                example = example.replacingOccurrences(of: placeholder, with: value)
            }
            guard case .success = parse(example) else {
                Issue.record("\(spec.usage) (as '\(example)') does not parse")
                continue
            }
        }
    }

    @Test(arguments: [
        ("", "empty command"),
        ("disk 2", "usage: disk N MS"),
        ("disk 4 50", "members are 1 to 3"),
        ("disk 2 -1", "a disk delay in ms must be 0.00 to 10000, not -1"),
        ("disk 2 10001", "a disk delay in ms must be 0.00 to 10000, not 10001"),
        ("disk 2 slow", "'slow' is not a disk delay in ms"),
        ("stopon", "usage: stopon candidate|leader-lost|off"),
        ("stopon follower", "'follower' is not a stop condition: candidate, leader-lost or off"),
        ("role r admin k", "'admin' is not a permission"),
        ("role r read *", "a permission needs a key"),
        ("auth maybe", "usage: auth on|off"),
        ("user a b", "usage: user [NAME]"),
        ("frobnicate", "unknown command 'frobnicate'"),
        ("put", "usage: put KEY VALUE"),
        ("put k --lease 12", "usage: put KEY VALUE"),
        ("put k v --lease zz", "'zz' is not a lease id"),
        ("lease grant 0", "a TTL in seconds must be"),
        ("lease grant", "usage: lease grant TTL"),
        ("lease renew 12", "usage: lease grant TTL"),
        ("lease revoke 0", "'0' is not a lease id"),
        ("put k", "usage: put KEY VALUE"),
        ("get", "usage: get KEY"),
        ("get a b", "usage: get KEY"),
        ("kill", "usage: kill N"),
        ("kill 0", "members are 1 to 3"),
        ("kill 4", "members are 1 to 3"),
        ("kill two", "'two' is not a member"),
        ("kill -1", "is not a member"),
        ("kill 99999999999999999999999", "is not a member"),
        ("partition 1,2", "two or more groups"),
        ("partition 1,2 2,3", "member 2 is in two groups"),
        ("partition 1,x 3", "'x' is not a member"),
        ("load -5", "a rate must be"),
        ("load fast", "'fast' is not a rate"),
        ("latency nan", "is not a latency"),
        ("latency 1e9", "a latency in ms must be"),
        ("loss 101", "a percentage must be"),
        ("speed 0", "a speed factor must be"),
        ("speed inf", "is not a speed factor"),
        ("heal now", "heal takes no arguments"),
        ("member", "usage: member add|rm N"),
        ("member add --voter", "usage: member add|rm N"),
        ("member remove", "usage: member add|rm N"),
        ("member remove 9", "members are 1 to 3"),
        ("promote", "usage: promote N"),
        ("theme", "usage: theme NAME"),
    ])
    func badInputGivesAnErrorMessage(line: String, message: String) {
        guard case .failure(let error) = parse(line) else {
            Issue.record("'\(line)' parsed")
            return
        }
        #expect(error.message.contains(message), "\(error.message)")
    }

    /// Random lines of command pieces: each either parses or fails with one line that names what
    /// was wrong; what parses does not change with surrounding blanks; and every completion
    /// extends what was typed into a command the parser knows.
    @Test func randomInputGetsAnActionOrAnErrorNamingTheFault() {
        var random = SeededRandom(seed: 5)
        let pieces = ["put", "get", "del", "kill", "partition", "load", "speed", "loss", "latency", "theme", " ", ",", "1", "2", "9",
                      "-", ".", "x", "é", "界", "\t", "%", "ms", "1e308", "0x10", "m", "nan"]
        let names = CommandParser.commands.map(\.name)
        var parsed = 0
        var refused = 0
        for _ in 0..<5000 {
            var line = (0..<Int.random(in: 0..<8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            if Bool.random(using: &random) {
                line = names.randomElement(using: &random)! + " " + line
            }
            let result = parse(line)
            #expect(parse("  " + line + " ") == result, "blanks around '\(line)' changed what it means")
            switch result {
            case .success:
                parsed += 1
            case .failure(let error):
                refused += 1
                #expect(!error.message.isEmpty && !error.message.contains("\n"), "'\(line)': \(error.message)")
                let first = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { String($0).lowercased() }
                if let first, !names.contains(first), !["q", "exit", "rm"].contains(first) {
                    #expect(error.message.contains("'\(first)'"), "'\(line)': \(error.message) does not name '\(first)'")
                }
            }
            for completion in CommandParser.completions(for: line, themeNames: ["nord"]) {
                #expect(completion.hasPrefix(line.lowercased()) || completion.hasPrefix("theme "), "'\(line)' completed to '\(completion)'")
                let word = String(completion.split(separator: " ").first ?? "")
                #expect(names.contains(word), "'\(line)' completed to the unknown command '\(completion)'")
            }
        }
        // The pieces reach both outcomes, so the checks above ran on each.
        #expect(parsed > 100 && refused > 100, "parsed \(parsed), refused \(refused)")
    }

    @Test func completesCommandsAndThemeNames() {
        #expect(CommandParser.completions(for: "pa", themeNames: []) == ["pause ", "partition "])
        #expect(CommandParser.completions(for: "tr", themeNames: []) == ["transfer ", "trace "])
        #expect(CommandParser.completions(for: "tran", themeNames: []) == ["transfer "])
        #expect(CommandParser.completions(for: "theme n", themeNames: ["nord", "default"]) == ["theme nord"])
        var editor = CommandLineEditor()
        for c in "tran" { _ = editor.handle(.character(c)) }
        _ = editor.handle(.tab) { CommandParser.completions(for: $0, themeNames: []) }
        #expect(editor.text == "transfer ")
        editor = CommandLineEditor()
        for c in "pa" { _ = editor.handle(.character(c)) }
        _ = editor.handle(.tab) { CommandParser.completions(for: $0, themeNames: []) }
        #expect(editor.text == "pa", "two completions share no longer prefix")
    }

    @Test func editorKeepsHistoryAndEdits() {
        var editor = CommandLineEditor()
        for line in ["put a 1", "get a"] {
            for c in line { _ = editor.handle(.character(c)) }
            #expect(editor.handle(.enter) == .submitted(line))
        }
        for c in "ki" { _ = editor.handle(.character(c)) }
        _ = editor.handle(.up)
        #expect(editor.text == "get a")
        _ = editor.handle(.up)
        _ = editor.handle(.up)
        #expect(editor.text == "put a 1")
        _ = editor.handle(.down)
        _ = editor.handle(.down)
        #expect(editor.text == "ki", "browsing past the newest restores the draft")
        _ = editor.handle(.left)
        _ = editor.handle(.character("l"))
        _ = editor.handle(.end)
        _ = editor.handle(.character("l"))
        #expect(editor.text == "klil")
        _ = editor.handle(.control("w"))
        #expect(editor.text.isEmpty)
        #expect(editor.handle(.backspace) == .cancelled, "backspace on an empty line closes it")
        _ = editor.handle(.character("x"))
        #expect(editor.handle(.escape) == .cancelled)
        #expect(editor.text.isEmpty)
    }
}
