import ArgumentParser
import Dispatch
import EtcdAPI
import Foundation

/// Watches a running etcd cluster (or `rafttop serve`) through Maintenance.Status: in the terminal
/// UI, or headless with --once or --json.
struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch a running etcd cluster: term, indexes, leader and db size of every member, and the latency of your own puts.",
        discussion: "Opens the terminal UI (p puts, l runs the load, ? lists every key). With --once or --json it prints instead.")

    @Option(help: "The members' client endpoints, host:port, comma-separated.")
    var endpoints: String

    @Flag(help: "Poll once and exit (0 when every member answered, 1 otherwise).")
    var once = false

    @Flag(help: "Print each poll as one JSON array.")
    var json = false

    @Option(help: "Milliseconds between polls.")
    var intervalMillis: Int = 250

    @Option(help: "Milliseconds to wait for each member's answer.")
    var timeoutMillis: Int = 1000

    @Option(help: "A theme name from Themes/ or a path to a theme file.")
    var theme: String = "default"

    @Option(help: "Frames per second, 1 to 60.")
    var fps: Int = 20

    @Option(help: "The members' etcd data directories (--data-dir), comma-separated in the order of --endpoints; an empty one for a member whose disk is out of reach. The WAL pane then shows their own WALs, read without locking them.")
    var dataDirs: String?

    /// The data directory given for each endpoint, by position; nil where none was.
    var dataDirectoryList: [String?] {
        guard let dataDirs else { return [] }
        return dataDirs.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.map { $0.isEmpty ? nil : $0 }
    }

    var endpointList: [String] {
        endpoints.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        guard !endpointList.isEmpty else { throw ValidationError("--endpoints names no endpoint") }
        guard intervalMillis > 0, timeoutMillis > 0 else { throw ValidationError("--interval-millis and --timeout-millis must be positive") }
        guard (1...60).contains(fps) else { throw ValidationError("--fps must be 1 to 60") }
        guard dataDirectoryList.count <= endpointList.count else {
            throw ValidationError("--data-dirs names \(dataDirectoryList.count) directories for \(endpointList.count) endpoints")
        }
        for case let directory? in dataDirectoryList {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--data-dirs: no directory \(directory)")
            }
        }
    }

    func run() throws {
        guard once || json else { return try runTUI() }
        let endpoints = endpointList
        let (once, json, interval, timeout) = (once, json, Duration.milliseconds(intervalMillis), Duration.milliseconds(timeoutMillis))
        let polling = Task {
            try await EtcdStatusPoller.with(endpoints: endpoints) { poller in
                while true {
                    let statuses = await poller.poll(timeout: timeout)
                    print(json ? try Self.json(statuses) : Self.table(statuses))
                    fflush(nil)
                    if once { return statuses.allSatisfy(\.reachable) }
                    try await Task.sleep(for: interval)
                }
            }
        }
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        signal(SIGINT, SIG_IGN)
        interrupt.setEventHandler { polling.cancel() }
        interrupt.resume()
        defer { interrupt.cancel() }

        let allAnswered: Bool
        do {
            allAnswered = try runBlocking { try await polling.value }
        } catch is CancellationError {
            return
        }
        if !allAnswered { throw ExitCode(1) }
    }

    static func json(_ statuses: [EndpointStatus]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(statuses), as: UTF8.self)
    }

    static func table(_ statuses: [EndpointStatus]) -> String {
        statuses.map { s in
            guard s.reachable else { return "\(s.endpoint)  down: \(s.errors.joined(separator: "; "))" }
            let role = s.isLeader ? "leader" : "follower"
            let errors = s.errors.isEmpty ? "" : "  errors: \(s.errors.joined(separator: "; "))"
            return "\(s.endpoint)  id \(String(s.memberID, radix: 16))  \(role)  term \(s.raftTerm)  index \(s.raftIndex)"
                + "  applied \(s.raftAppliedIndex)  revision \(s.revision)  db \(s.dbSizeBytes) B  \(s.latencyMicros) µs\(errors)"
        }.joined(separator: "\n")
    }
}
