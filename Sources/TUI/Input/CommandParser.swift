import Cluster
import Foundation

/// Why a command line was refused, worded for the status line.
public struct CommandError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Parses the `:` command line into actions.
public enum CommandParser {
    public struct Spec: Sendable {
        public var name: String
        public var usage: String
        public var help: String
    }

    /// Every command, in the order the help overlay lists them.
    public static let commands: [Spec] = [
        Spec(name: "put", usage: "put KEY VALUE", help: "put a key (add --lease ID: with a lease)"),
        Spec(name: "get", usage: "get KEY", help: "read a key from the leader's store"),
        Spec(name: "del", usage: "del KEY", help: "delete a key"),
        Spec(name: "lease", usage: "lease grant TTL", help: "a lease (or: lease revoke|keepalive ID)"),
        Spec(name: "kill", usage: "kill N", help: "crash member N"),
        Spec(name: "restart", usage: "restart N", help: "restart member N from its data"),
        Spec(name: "pause", usage: "pause N", help: "freeze member N"),
        Spec(name: "resume", usage: "resume N", help: "unfreeze member N"),
        Spec(name: "isolate", usage: "isolate N", help: "cut member N off from the rest"),
        Spec(name: "partition", usage: "partition 1,2 3", help: "split the members into groups"),
        Spec(name: "heal", usage: "heal", help: "end every partition"),
        Spec(name: "transfer", usage: "transfer N", help: "make member N the leader"),
        Spec(name: "member", usage: "member add|rm N", help: "add [--learner], or rm N: remove N"),
        Spec(name: "promote", usage: "promote N", help: "make learner N a voter once in sync"),
        Spec(name: "load", usage: "load RATE", help: "load generator puts/s (0 stops)"),
        Spec(name: "latency", usage: "latency MS", help: "one-way network latency"),
        Spec(name: "loss", usage: "loss PERCENT", help: "share of messages the network loses"),
        Spec(name: "speed", usage: "speed FACTOR", help: "slow motion: 0.1 is 10x slower"),
        Spec(name: "step", usage: "step", help: "run one step while paused"),
        Spec(name: "user", usage: "user [NAME]", help: "put, get, del as NAME (none: no user)"),
        Spec(name: "auth", usage: "auth on|off", help: "auth on (adds root) or off"),
        Spec(name: "role", usage: "role R PERM KEY", help: "role R gets PERM on KEY (KEY*: prefix)"),
        Spec(name: "revoke", usage: "revoke R KEY", help: "take KEY back from role R"),
        Spec(name: "grant", usage: "grant USER R", help: "give USER (added if new) role R"),
        Spec(name: "theme", usage: "theme NAME", help: "switch to a theme"),
        Spec(name: "trace", usage: "trace KEY|ID", help: "pin a put in the trace (none: unpin)"),
        Spec(name: "help", usage: "help", help: "show the keys and commands"),
        Spec(name: "quit", usage: "quit", help: "quit rafttop"),
        Spec(name: "disk", usage: "disk N MS", help: "every fsync of N takes MS longer"),
        Spec(name: "stopon", usage: "stopon EVENT", help: "sim: pause on candidate|leader-lost|off"),
        Spec(name: "tour", usage: "tour [failover]", help: "guided tour: one put, or a failover"),
    ]

    /// Bounds on what a command may ask for, so a typo cannot wedge the cluster.
    static let latencyMillisMax = 10_000.0
    static let loadRateMax = 100_000.0
    static let speedRange = 0.01...100.0
    static let keyBytesMax = 1024
    static let valueBytesMax = 1_000_000
    static let diskDelayMillisMax = Double(Cluster.diskDelayNanosMax / 1_000_000)

    /// The action `line` asks for, or why it cannot be done. `memberCount` bounds member numbers.
    public static func parse(_ line: String, memberCount: Int) -> Result<Action, CommandError> {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let name = words.first?.lowercased() else { return .failure(CommandError("empty command")) }
        let args = Array(words.dropFirst())
        do {
            return .success(try action(name: name, args: args, line: line, memberCount: memberCount))
        } catch {
            return .failure(error)
        }
    }

    private static func action(name: String, args: [String], line: String, memberCount: Int) throws(CommandError) -> Action {
        func member() throws(CommandError) -> NodeID {
            try expectCount(args, 1, usage(name))
            return try parseMember(args[0], memberCount: memberCount)
        }
        switch name {
        case "put":
            guard args.count >= 2 else { throw CommandError("usage: put KEY VALUE [--lease ID]") }
            let key = args[0]
            // The value is the rest of the line, spaces included, but for a trailing --lease ID.
            var rest = line
            var lease: Int64 = 0
            if let option = line.range(of: #"\s--lease(=|\s+)\S+\s*$"#, options: .regularExpression) {
                let id = line[option].split(whereSeparator: { $0 == "=" || $0 == " " || $0 == "\t" }).last.map(String.init) ?? ""
                lease = try leaseID(id)
                rest = String(line[..<option.lowerBound])
            }
            let value = valueAfterKey(line: rest, key: key)
            try checkKey(key)
            guard !value.isEmpty else { throw CommandError("usage: put KEY VALUE [--lease ID]") }
            guard value.utf8.count <= valueBytesMax else { throw CommandError("a value is at most \(valueBytesMax) bytes") }
            return .put(key: key, value: value, lease: lease)
        case "lease":
            let leaseUsage = "usage: lease grant TTL, lease revoke ID or lease keepalive ID"
            try expectCount(args, 2, leaseUsage)
            switch args[0].lowercased() {
            case "grant":
                let ttl = try number(trimmed(args[1], suffix: "s"), what: "a TTL in seconds", in: 1...Double(LeaseNaming.maxTTLSeconds))
                return .lease(.grant(ttlSeconds: Int64(ttl)))
            case "revoke": return .lease(.revoke(id: try leaseID(args[1])))
            case "keepalive", "keep-alive": return .lease(.keepAlive(id: try leaseID(args[1])))
            default: throw CommandError(leaseUsage)
            }
        case "get":
            try expectCount(args, 1, usage(name))
            try checkKey(args[0])
            return .get(key: args[0])
        case "del", "delete":
            try expectCount(args, 1, "usage: del KEY")
            try checkKey(args[0])
            return .delete(key: args[0])
        case "kill": return .kill(.member(try member()))
        case "restart": return .restart(.member(try member()))
        case "pause": return .pause(.member(try member()))
        case "resume": return .resume(.member(try member()))
        case "isolate": return .isolate(.member(try member()))
        case "transfer": return .transfer(.member(try member()))
        case "partition": return .partition(try parseGroups(args, memberCount: memberCount))
        case "member": return try memberChange(args, memberCount: memberCount)
        case "promote": return .promote(.member(try member()))
        case "heal":
            try expectCount(args, 0, "heal takes no arguments")
            return .heal
        case "load":
            try expectCount(args, 1, usage(name))
            if args[0].lowercased() == "off" || args[0].lowercased() == "stop" { return .setLoadRate(0) }
            return .setLoadRate(try number(args[0], what: "a rate", in: 0...loadRateMax))
        case "latency":
            try expectCount(args, 1, usage(name))
            return .setLatency(millis: try number(trimmed(args[0], suffix: "ms"), what: "a latency in ms", in: 0...latencyMillisMax))
        case "loss":
            try expectCount(args, 1, usage(name))
            return .setLoss(percent: try number(trimmed(args[0], suffix: "%"), what: "a percentage", in: 0...100))
        case "speed":
            try expectCount(args, 1, usage(name))
            return .setSpeed(try number(trimmed(args[0], suffix: "x"), what: "a speed factor", in: speedRange))
        case "step":
            try expectCount(args, 0, "step takes no arguments")
            return .step
        case "user":
            guard args.count <= 1 else { throw CommandError(usage(name)) }
            return .setUser(args.first)
        case "auth":
            try expectCount(args, 1, usage(name))
            switch args[0].lowercased() {
            case "enable", "on": return .auth(.enable)
            case "disable", "off": return .auth(.disable)
            default: throw CommandError(usage(name))
            }
        case "role":
            try expectCount(args, 3, usage(name))
            guard let kind = PermissionKind(rawValue: args[1].lowercased()) else {
                throw CommandError("'\(args[1])' is not a permission (PERM): read, write or readwrite")
            }
            return .auth(.grantPermission(role: args[0], kind: kind, range: try keyOrPrefix(args[2])))
        case "revoke":
            try expectCount(args, 2, usage(name))
            return .auth(.revokePermission(role: args[0], range: try keyOrPrefix(args[1])))
        case "grant":
            try expectCount(args, 2, usage(name))
            return .auth(.grantRole(user: args[0], role: args[1]))
        case "theme":
            try expectCount(args, 1, usage(name))
            return .setTheme(args[0])
        case "trace":
            guard args.count <= 1 else { throw CommandError("usage: trace KEY or trace ID (a request id, hex or decimal); trace alone unpins") }
            return .pinTrace(args.first)
        case "help", "?":
            return .toggleHelp
        case "tour":
            guard args.count <= 1 else { throw CommandError("usage: tour [put|failover]") }
            guard let kind = TourKind(rawValue: args.first?.lowercased() ?? "put") else {
                throw CommandError("no tour '\(args[0])': the tours are put and failover")
            }
            return .tour(kind)
        case "quit", "q", "exit":
            return .quit
        case "disk":
            try expectCount(args, 2, usage(name))
            let id = try parseMember(args[0], memberCount: memberCount)
            return .setDiskDelay(member: id, millis: try number(trimmed(args[1], suffix: "ms"), what: "a disk delay in ms", in: 0...diskDelayMillisMax))
        case "stopon":
            try expectCount(args, 1, "usage: stopon candidate|leader-lost|off")
            let word = args[0].lowercased()
            if word == "off" { return .stopOn(nil) }
            guard let condition = ElectionWatch.Condition(rawValue: word) else {
                throw CommandError("'\(args[0])' is not a stop condition: candidate, leader-lost or off")
            }
            return .stopOn(condition)
        default:
            throw CommandError("unknown command '\(name)'; try: " + commands.map(\.name).joined(separator: " "))
        }
    }

    /// Command names and theme names that complete `line`.
    public static func completions(for line: String, themeNames: [String]) -> [String] {
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.count <= 1 {
            let prefix = line.lowercased()
            return commands.map(\.name).filter { $0.hasPrefix(prefix) }.map { $0 + " " }
        }
        if words.count == 2, words[0].lowercased() == "theme" {
            return themeNames.filter { $0.hasPrefix(words[1]) }.map { "theme " + $0 }
        }
        return []
    }

    /// `member add`, `member add --learner`, `member remove N`.
    private static func memberChange(_ args: [String], memberCount: Int) throws(CommandError) -> Action {
        switch (args.first?.lowercased(), args.count) {
        case ("add", 1): return .addMember(learner: false)
        case ("add", 2) where args[1] == "--learner": return .addMember(learner: true)
        case ("remove", 2), ("rm", 2): return .removeMember(.member(try parseMember(args[1], memberCount: memberCount)))
        default: throw CommandError(usage("member"))
        }
    }

    // MARK: Pieces

    private static func usage(_ name: String) -> String {
        "usage: " + (commands.first { $0.name == name }?.usage ?? name)
    }

    private static func expectCount(_ args: [String], _ count: Int, _ message: String) throws(CommandError) {
        guard args.count == count else { throw CommandError(message) }
    }

    /// `KEY` is one key; `KEY*` every key with that prefix.
    private static func keyOrPrefix(_ text: String) throws(CommandError) -> KeySpan {
        let isPrefix = text.hasSuffix("*")
        let key = isPrefix ? String(text.dropLast()) : text
        guard !key.isEmpty else { throw CommandError("a permission needs a key or a prefix before *") }
        try checkKey(key)
        return isPrefix ? .prefix(Array(key.utf8)) : KeySpan(key: Array(key.utf8))
    }

    /// A lease id as etcdctl prints it: hexadecimal, not 0.
    private static func leaseID(_ text: String) throws(CommandError) -> Int64 {
        guard let bits = UInt64(text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16), bits != 0 else {
            throw CommandError("'\(text)' is not a lease id: lease ids are hexadecimal, as etcdctl prints them")
        }
        return Int64(bitPattern: bits)
    }

    private static func checkKey(_ key: String) throws(CommandError) {
        guard key.utf8.count <= keyBytesMax else { throw CommandError("a key is at most \(keyBytesMax) bytes") }
    }

    static func parseMember(_ text: String, memberCount: Int) throws(CommandError) -> NodeID {
        let digits = text.hasPrefix("m") ? String(text.dropFirst()) : text
        guard let n = Int(digits), n >= 1, n <= memberCount else {
            throw CommandError("'\(text)' is not a member: members are 1 to \(memberCount)")
        }
        return NodeID(n)
    }

    private static func parseGroups(_ args: [String], memberCount: Int) throws(CommandError) -> [[NodeID]] {
        guard args.count >= 2 else { throw CommandError("usage: partition 1,2 3 (two or more groups of members)") }
        var groups: [[NodeID]] = []
        var seen = Set<NodeID>()
        for arg in args {
            var group: [NodeID] = []
            for part in arg.split(separator: ",") {
                let id = try parseMember(String(part), memberCount: memberCount)
                guard seen.insert(id).inserted else { throw CommandError("member \(id) is in two groups") }
                group.append(id)
            }
            if group.isEmpty { throw CommandError("an empty group in '\(arg)'") }
            groups.append(group)
        }
        return groups
    }

    private static func number(_ text: String, what: String, in range: ClosedRange<Double>) throws(CommandError) -> Double {
        guard let value = Double(text), value.isFinite else { throw CommandError("'\(text)' is not \(what)") }
        guard range.contains(value) else {
            throw CommandError("\(what) must be \(Format.millis(range.lowerBound)) to \(Format.millis(range.upperBound)), not \(text)")
        }
        return value
    }

    private static func trimmed(_ text: String, suffix: String) -> String {
        text.lowercased().hasSuffix(suffix) ? String(text.dropLast(suffix.count)) : text
    }

    private static func valueAfterKey(line: String, key: String) -> String {
        var rest = Substring(line).drop { $0 == " " || $0 == "\t" }
        rest = rest.drop { $0 != " " && $0 != "\t" }.drop { $0 == " " || $0 == "\t" }
        rest = rest.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }
        var value = String(rest)
        while value.last == " " || value.last == "\t" { value.removeLast() }
        return value
    }
}
