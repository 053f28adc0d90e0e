import Foundation
import Testing

/// Users, roles and permissions driven by etcdctl 3.4 against `rafttop serve`, as a person sets
/// up auth on etcd.
@Suite(.serialized, .enabled(if: ExternalTools.haveClients, "etcdctl or curl is not installed: apt-get install etcd-client curl"))
struct AuthEndToEndTests {
    typealias E2E = EtcdctlEndToEndTests
    static let passwords = ["root": "Root-Pw-7731", "ro": "Reader-Pw-4410", "app": "Writer-Pw-9052"]
    /// app's password after `user passwd`.
    static let newAppPassword = "Changed-Pw-3321"

    static func user(_ name: String) -> String { "--user=\(name):\(passwords[name]!)" }

    /// etcdctl's error for a command that must fail.
    static func failure(_ served: E2E.Served, _ arguments: [String]) throws -> String {
        let out = try E2E.etcdctl(served, arguments)
        #expect(out.status != 0, "etcdctl \(arguments.joined(separator: " ")) succeeded: \(out.stdout)")
        return out.stderr
    }

    @Test func etcdctlSetsUpAuthAndEveryMemberEnforcesIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-auth-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let served = try await E2E.serve(dataDirectory: directory)
        defer { served.process.stop() }

        #expect(try E2E.ok(served, ["user", "add", "root:\(Self.passwords["root"]!)"]) == "User root created\n")
        #expect(try E2E.ok(served, ["user", "grant-role", "root", "root"]) == "Role root is granted to user root\n")
        #expect(try E2E.ok(served, ["role", "add", "reader"]) == "Role reader created\n")
        #expect(try E2E.ok(served, ["role", "grant-permission", "reader", "read", "foo"]) == "Role reader updated\n")
        #expect(try E2E.ok(served, ["role", "add", "writer"]) == "Role writer created\n")
        #expect(try E2E.ok(served, ["role", "grant-permission", "writer", "readwrite", "app/", "--prefix=true"]) == "Role writer updated\n")
        for (name, role) in [("ro", "reader"), ("app", "writer")] {
            #expect(try E2E.ok(served, ["user", "add", "\(name):\(Self.passwords[name]!)"]) == "User \(name) created\n")
            #expect(try E2E.ok(served, ["user", "grant-role", name, role]) == "Role \(role) is granted to user \(name)\n")
        }
        #expect(try E2E.ok(served, ["put", "foo", "before"]) == "OK\n")
        #expect(try E2E.ok(served, ["auth", "enable"]) == "Authentication Enabled\n")

        // Without a user, nothing; with a wrong password, nothing.
        #expect(try Self.failure(served, ["put", "foo", "x"]).contains("etcdserver: user name is empty"))
        #expect(try Self.failure(served, ["--user=ro:wrong", "get", "foo"])
                .contains("etcdserver: authentication failed, invalid user ID or password"))

        // The read-only user reads and cannot write.
        #expect(try E2E.ok(served, [Self.user("ro"), "get", "foo"]) == "foo\nbefore\n")
        #expect(try Self.failure(served, [Self.user("ro"), "put", "foo", "after"]).contains("etcdserver: permission denied"))
        #expect(try Self.failure(served, [Self.user("ro"), "get", "fop"]).contains("etcdserver: permission denied"))

        // The prefix app/ ends where app0 begins.
        #expect(try E2E.ok(served, [Self.user("app"), "put", "app/x", "1"]) == "OK\n")
        #expect(try E2E.ok(served, [Self.user("app"), "put", "app/", "2"]) == "OK\n")
        #expect(try Self.failure(served, [Self.user("app"), "put", "app0", "3"]).contains("etcdserver: permission denied"))
        #expect(try Self.failure(served, [Self.user("app"), "put", "app", "4"]).contains("etcdserver: permission denied"))
        #expect(try E2E.ok(served, [Self.user("app"), "get", "app/", "--prefix"]) == "app/\n2\napp/x\n1\n")
        #expect(try Self.failure(served, [Self.user("app"), "get", "app", "--prefix"]).contains("etcdserver: permission denied"))

        // Only root manages auth.
        #expect(try Self.failure(served, [Self.user("app"), "user", "list"]).contains("etcdserver: permission denied"))
        #expect(try E2E.ok(served, [Self.user("root"), "user", "list"]) == "app\nro\nroot\n")
        #expect(try E2E.ok(served, [Self.user("root"), "role", "list"]) == "reader\nwriter\n")
        #expect(try E2E.ok(served, [Self.user("root"), "user", "get", "ro"]) == "User: ro\nRoles: reader\n")
        #expect(try E2E.ok(served, [Self.user("root"), "role", "get", "writer"]).contains("[app/, app0) (prefix app/)"))

        // A restart keeps users, roles and auth on. It hashes passwords with more rounds than
        // before: each user's first login proposes its hash again at that strength.
        try await served.process.terminate()
        let restarted = try await E2E.serve(dataDirectory: directory, extraArguments: ["--auth-pbkdf2-rounds", "2000"])
        defer { restarted.process.stop() }
        #expect(try E2E.ok(restarted, [Self.user("app"), "get", "app/x"]) == "app/x\n1\n")
        #expect(try Self.failure(restarted, ["get", "foo"]).contains("etcdserver: user name is empty"))

        #expect(try E2E.ok(restarted, [Self.user("root"), "user", "passwd", "app", "--interactive=false"],
                           stdin: Self.newAppPassword + "\n") == "Password updated\n")
        #expect(try Self.failure(restarted, [Self.user("app"), "get", "app/x"])
                .contains("etcdserver: authentication failed, invalid user ID or password"))
        #expect(try E2E.ok(restarted, ["--user=app:\(Self.newAppPassword)", "get", "app/x"]) == "app/x\n1\n")

        #expect(try E2E.ok(restarted, [Self.user("root"), "role", "revoke-permission", "reader", "foo"]) == "Permission of key foo is revoked from role reader\n")
        #expect(try Self.failure(restarted, [Self.user("ro"), "get", "foo"]).contains("etcdserver: permission denied"))
        #expect(try E2E.ok(restarted, [Self.user("root"), "auth", "disable"]) == "Authentication Disabled\n")
        #expect(try E2E.ok(restarted, ["put", "foo", "open"]) == "OK\n")
        try await restarted.process.terminate()

        // No password, in any form a person could read, in any file the cluster wrote or in
        // what rafttop printed or dumps of the WAL.
        let dump = try ExternalTools.run(try #require(ExternalTools.rafttop), ["wal", "dump", "\(directory)/member-1"])
        #expect(dump.status == 0)
        #expect(dump.stdout.contains("user add ro"))
        for name in ["root", "app", "ro"] { #expect(dump.stdout.contains("user rehash \(name)"), "\(name)'s hash upgraded") }
        let printed = served.process.output + restarted.process.output + dump.stdout + dump.stderr
        for (name, password) in Self.passwords.merging(["app (changed)": Self.newAppPassword], uniquingKeysWith: { $1 }) {
            #expect(!printed.contains(password), "\(name)'s password printed")
            for file in try Self.files(under: directory) {
                let contents = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(contents.range(of: Data(password.utf8)) == nil, "\(name)'s password in \(file)")
            }
        }
    }

    static func files(under directory: String) throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: directory))
        var files: [String] = []
        for case let path as String in enumerator {
            var isDirectory: ObjCBool = false
            let full = "\(directory)/\(path)"
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(full) }
        }
        #expect(files.contains { $0.hasSuffix(".wal") }, "the WAL is among the files searched")
        return files
    }
}
