import Foundation
import Testing

/// `rafttop etcd` in tmux over real etcd members: a leader shows, K kills it and the events pane
/// says so, and quitting (q, Ctrl-C or SIGTERM) stops every etcd process it started.
@Suite(.serialized) struct RealEtcdEndToEndTests {
    static let etcd: String? = FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") ? "/usr/bin/etcd" : nil

    /// The PIDs of etcd processes whose command line mentions `text` (not the shell or rafttop that name it too).
    static func processes(mentioning text: String) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.first?.hasSuffix("/etcd") == true && arguments.contains { $0.contains(text) } ? pid : nil
        }
    }

    /// The PID of the rafttop process whose command line mentions `text`.
    static func rafttop(mentioning text: String) -> Int32? {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).lazy.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.first?.hasSuffix("/rafttop") == true && arguments.contains { $0.contains(text) } ? pid : nil
        }.first
    }

    @Test(.enabled(if: EndToEndTests.tmux != nil && etcd != nil, "tmux or etcd is not installed (.ci/run installs both)"),
          .timeLimit(.minutes(2)), arguments: ["q", "C-c", "SIGTERM"])
    func killTheLeaderOfRealEtcdAndQuitLeavingNoProcess(quitBy quit: String) async throws {
        let binary = try #require(EndToEndTests.binary, "no .build/debug/rafttop: run `swift build` before `swift test`")
        let dataDir = NSTemporaryDirectory() + "rafttop-e2e-etcd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let session = Tmux(path: EndToEndTests.tmux!, socket: "rafttop-etcd-\(getpid())-\(quit)")
        defer { session.run(["kill-server"]) }
        let script = "cd '\(EndToEndTests.packageRoot.path)'; '\(binary)' etcd --etcd \(Self.etcd!) --data-dir '\(dataDir)';"
            + " echo RAFTTOP-EXITED $?; sleep 120"
        session.run(["new-session", "-d", "-x", "160", "-y", "45", "-s", "e2e", "sh", "-c", script])

        let first = try await session.waitFor("a leader", seconds: 60) { CapturedScreen(text: $0).leader != nil }
        let leader = try #require(CapturedScreen(text: first).leader)
        #expect(Self.processes(mentioning: dataDir).count == 3, "three etcd members run")
        session.keys("K")
        let killed = try await session.waitFor("a new leader and the kill in the events pane", seconds: 60) { screen in
            let now = CapturedScreen(text: screen).leader
            return screen.contains("m\(leader) killed") && now != nil && now != leader
        }
        #expect(Self.processes(mentioning: dataDir).count == 2, "the killed member is gone:\n\(killed)")

        if quit == "SIGTERM" {
            let rafttop = try #require(Self.rafttop(mentioning: dataDir), "the rafttop process")
            #expect(kill(rafttop, SIGTERM) == 0)
        } else {
            session.keys(quit)
        }
        let exited = try await session.waitFor("rafttop to exit", seconds: 60) { $0.contains("RAFTTOP-EXITED") }
        #expect(exited.contains("RAFTTOP-EXITED 0"), "\(exited)")
        #expect(Self.processes(mentioning: dataDir).isEmpty, "no etcd process left after quit")
    }
}
