import Foundation
import Testing

/// etcdctl 3.4's `member` commands against `rafttop serve`: a learner added starts in the
/// process on the next ports, is promoted once caught up, and a member removed stops serving.
@Suite(.serialized, .enabled(if: ExternalTools.haveClients, "etcdctl or curl is not installed: apt-get install etcd-client curl"))
struct MembershipEndToEndTests {
    typealias E2E = EtcdctlEndToEndTests

    /// `member list`'s lines, split into their fields: id, status, name, peer URLs, client URLs, is learner.
    static func memberList(_ served: E2E.Served) throws -> [[String]] {
        try E2E.ok(served, ["member", "list"]).split(separator: "\n").map { $0.components(separatedBy: ", ") }
    }

    /// The endpoint `serve` printed for member `id` when it was added.
    static func addedEndpoint(_ served: E2E.Served, _ id: Int) async throws -> String {
        let prefix = "rafttop serve: member \(id) added: etcd gRPC "
        try await served.process.waitForOutput(prefix)
        let line = try #require(served.process.output.split(separator: "\n").first { $0.hasPrefix(prefix) })
        return String(line.dropFirst(prefix.count).split(separator: " ")[0])
    }

    static func etcdctl(_ endpoint: String, _ arguments: [String]) throws -> ExternalTools.Output {
        try ExternalTools.run(ExternalTools.etcdctl!, ["--endpoints=\(endpoint)"] + arguments, environment: ["ETCDCTL_API": "3"])
    }

    @Test func aLearnerIsAddedStartedPromotedAndAMemberRemoved() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-members-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let served = try await E2E.serve(dataDirectory: directory)
        defer { served.process.stop() }
        #expect(try E2E.ok(served, ["put", "before", "1"]) == "OK\n")

        let add = try E2E.ok(served, ["member", "add", "m4", "--peer-urls=http://127.0.0.1:32380", "--learner"])
        #expect(add.contains("added to cluster"))
        #expect(add.contains("ETCD_INITIAL_CLUSTER=\"member-1=http://127.0.0.1:22380,member-2=http://127.0.0.1:22381,"
                             + "member-3=http://127.0.0.1:22382,m4=http://127.0.0.1:32380\""))
        let endpoint4 = try await Self.addedEndpoint(served, 4)
        var learner: [[String]] = []
        try await waitFor("member list to show the learner", seconds: 30) {
            learner = try Self.memberList(served)
            return learner.count == 4
        }
        #expect(learner[3] == ["4", "started", "member-4", "http://127.0.0.1:32380", "http://\(endpoint4)", "true"])
        for (i, fields) in learner.prefix(3).enumerated() {
            #expect(fields == ["\(i + 1)", "started", "member-\(i + 1)", "http://127.0.0.1:\(22380 + i)",
                               "http://\(served.endpoints[i])", "false"])
        }

        // The learner receives the log: a put through the others shows on it.
        #expect(try E2E.ok(served, ["put", "with-learner", "2"]) == "OK\n")
        try await waitFor("the learner to hold the put", seconds: 30) {
            try Self.etcdctl(endpoint4, ["get", "with-learner", "--consistency=s"]).stdout == "with-learner\n2\n"
        }

        // Promoted once in sync with the leader (etcd refuses before; retried until it is).
        var promoted = ""
        try await waitFor("the learner to be promoted", seconds: 30) {
            let out = try E2E.etcdctl(served, ["member", "promote", "4"])
            if out.status != 0 {
                #expect(out.stderr.contains("can only promote a learner member which is in sync with leader"), "\(out.stderr)")
            }
            promoted = out.stdout
            return out.status == 0
        }
        #expect(promoted.contains("promoted in cluster"))
        try await waitFor("member list to show member 4 a voter", seconds: 30) {
            try Self.memberList(served).last?.last == "false"
        }
        let again = try E2E.etcdctl(served, ["member", "promote", "4"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("etcdserver: can only promote a learner member"))

        // etcd's check of the peer URLs: they name one member only.
        let taken = try E2E.etcdctl(served, ["member", "add", "dup", "--peer-urls=http://127.0.0.1:32380"])
        #expect(taken.status != 0)
        #expect(taken.stderr.contains("etcdserver: Peer URLs already exists"))

        // Member 3's peer URL changed.
        #expect(try E2E.ok(served, ["member", "update", "3", "--peer-urls=http://127.0.0.1:42382"]).contains("updated in cluster"))
        try await waitFor("member list to show member 3's new peer URL", seconds: 30) {
            try Self.memberList(served).first { $0.first == "3" }?[3] == "http://127.0.0.1:42382"
        }

        // Member 2 removed: it stops serving, and puts go on through the rest.
        let remove = try E2E.ok(served, ["member", "remove", "2"])
        #expect(remove.contains("Member") && remove.contains("removed from cluster"))
        try await waitFor("member 2's port to close", seconds: 30) {
            try Self.etcdctl(served.endpoints[1], ["get", "x", "--command-timeout=1s"]).status != 0
        }
        let rest = [served.endpoints[0], served.endpoints[2], endpoint4].joined(separator: ",")
        // Each member lists what it has applied (as etcd 3.4's MemberList does): all of them
        // drop member 2 once they apply its removal.
        try await waitFor("every member to list 1, 3 and 4", seconds: 30) {
            try [served.endpoints[0], served.endpoints[2], endpoint4].allSatisfy { endpoint in
                try Self.etcdctl(endpoint, ["member", "list"]).stdout.split(separator: "\n").map { $0.prefix { $0 != "," } } == ["1", "3", "4"]
            }
        }
        // Member 2 may have led: a put waits for the election among the rest.
        var put = ExternalTools.Output(status: -1, stdout: "", stderr: "")
        try await waitFor("a put through the rest", seconds: 30) {
            put = try Self.etcdctl(rest, ["put", "after", "3"])
            return put.status == 0
        }
        #expect(put.stdout == "OK\n", "\(put.stderr)")
        let get = try Self.etcdctl(endpoint4, ["get", "after"])
        #expect(get.stdout == "after\n3\n", "\(get.stderr)")
        let gone = try Self.etcdctl(rest, ["member", "remove", "2"])
        #expect(gone.stderr.contains("etcdserver: member not found"))
    }
}
