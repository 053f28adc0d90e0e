import Foundation
import Testing

/// `rafttop demo failover --etcd` and `rafttop etcd`'s errors, against the real binary.
@Suite(.serialized) struct RealEtcdCommandTests {
    static let etcd: String? = FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") ? "/usr/bin/etcd" : nil

    @Test(.enabled(if: etcd != nil, "etcd is not installed: apt-get install etcd-server"), .timeLimit(.minutes(2)))
    func theFailoverDemoOnRealEtcdLosesNoAcknowledgedPut() async throws {
        let output = try await Rafttop.run(["demo", "failover", "--etcd", "--etcd-path", Self.etcd!, "--phase-seconds", "1", "--json"],
                                           timeoutSeconds: 150)
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        let json = try #require(output.stdout.split(separator: "\n").last.map(String.init))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
        #expect(report["lost_puts"] as? Int == 0, "\(json)")
        #expect((report["acked_puts"] as? Int ?? 0) > 0, "\(json)")
        #expect(report["old_leader_caught_up"] as? Bool == true, "\(json)")
        #expect(report["old_leader"] as? Int != report["new_leader"] as? Int, "\(json)")
    }

    @Test func aMissingEtcdBinaryIsNamed() async throws {
        let missing = "/nonexistent/etcd-\(getpid())"
        for arguments in [["etcd", "--etcd", missing], ["demo", "failover", "--etcd", "--etcd-path", missing]] {
            let output = try await Rafttop.run(arguments, timeoutSeconds: 60)
            #expect(output.status == 2)
            #expect(output.stderr.contains(missing), "\(output.stderr)")
        }
    }

    @Test func aNonEmptyDataDirectoryIsRefused() async throws {
        guard let etcd = Self.etcd else { return }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(FileManager.default.createFile(atPath: directory + "/old", contents: Data()))
        let output = try await Rafttop.run(["etcd", "--etcd", etcd, "--data-dir", directory], timeoutSeconds: 60)
        #expect(output.status == 2)
        #expect(output.stderr.contains("is not empty"), "\(output.stderr)")
    }
}

extension RealEtcdCommandTests {
    @Test func aBinaryThatIsNotEtcdIsReportedNotShown() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/false") else { return }
        let output = try await Rafttop.run(["etcd", "--etcd", "/bin/false", "--members", "1"], timeoutSeconds: 60)
        #expect(output.status == 2)
        #expect(output.stderr.contains("could not start m1: it exited at once"), "\(output.stderr)")
    }
}
