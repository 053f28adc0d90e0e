import ByteCoding
import MVCC
import Raft
import Testing
@testable import Server

/// How the auth store keeps passwords: salted PBKDF2-HMAC-SHA256 records that name their
/// algorithm and rounds, and still read what older members wrote.
@Suite struct PasswordHashTests {
    @Test func aHashMatchesOnlyItsPasswordAndEachHashHasItsOwnSalt() {
        let hash = PasswordHash(hashing: "s3cret", rounds: 16)
        #expect(hash.matches("s3cret"))
        #expect(!hash.matches("s3cret "))
        #expect(!hash.matches(""))
        #expect(hash.algorithm == .pbkdf2HMACSHA256 && hash.rounds == 16 && hash.salt.count == PasswordHash.saltBytes)
        let again = PasswordHash(hashing: "s3cret", rounds: 16)
        #expect(again.salt != hash.salt)
        #expect(again.hash != hash.hash)
    }

    /// The record a member wrote before hashes named their algorithm: a presence byte, 4,096
    /// rounds, the salt and the hash. This one is the published PBKDF2-HMAC-SHA256 test vector
    /// ("password", "salt", 4,096 rounds), so it verifies only if the KDF is the one it names.
    static func recordWrittenByOlderMembers() -> [UInt8] {
        var out = ByteWriter()
        out.bool(true)
        out.uint64(4096)
        out.lengthPrefixed(bytes("salt"))
        out.lengthPrefixed(unhex("c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"))
        return out.buffer
    }

    @Test func aRecordWrittenBeforeHashesNamedTheirAlgorithmStillVerifies() throws {
        var input = ByteReader(Self.recordWrittenByOlderMembers())
        let hash = try #require(try input.passwordHash())
        #expect(hash.algorithm == .pbkdf2HMACSHA256 && hash.rounds == 4096)
        #expect(hash.matches("password"))
        #expect(!hash.matches("Password"))
        #expect(hash.needsUpgrade(toRounds: PasswordHash.defaultRounds))
        #expect(!hash.needsUpgrade(toRounds: 4096))
        var out = ByteWriter()
        out.passwordHash(hash)
        #expect(out.buffer == Self.recordWrittenByOlderMembers(), "written back as older members read it")
    }

    @Test func anOlderSnapshotsUsersStillLogIn() throws {
        var out = ByteWriter()
        out.bytes(AuthState.snapshotMagic)
        out.bool(false)
        out.uint64(2)
        out.uint64(1)
        out.string("alice")
        out.bytes(Self.recordWrittenByOlderMembers())
        out.uint64(0)
        out.uint64(0)
        let state = try AuthState(snapshotData: out.buffer)
        #expect(state.users["alice"]?.password?.matches("password") == true)
    }

    @Test(arguments: [
        (UInt8(2), UInt64(4096), 16, "unknown password hash algorithm 2"),
        (UInt8(1), UInt64(0), 16, "0 rounds"),
        (UInt8(1), UInt64(1) << 40, 16, "1099511627776 rounds"),
        (UInt8(1), UInt64(4_194_305), 16, "4194305 rounds"),
        (UInt8(1), UInt64(4096), 65, "salt of 65 bytes"),
    ])
    func aRecordOutOfBoundsIsAnErrorNamingWhatIsWrong(tag: UInt8, rounds: UInt64, saltBytes: Int, reason: String) {
        var out = ByteWriter()
        out.uint8(tag)
        out.uint64(rounds)
        out.lengthPrefixed(Array(repeating: 7, count: saltBytes))
        out.lengthPrefixed(Array(repeating: 9, count: PasswordHash.hashBytes))
        var input = ByteReader(out.buffer)
        #expect { _ = try input.passwordHash() } throws: { "\($0)".contains(reason) }
    }

    @Test func anUpgradeReplacesOnlyTheHashItWasMadeFromAndKeepsTheAuthRevision() throws {
        var state = AuthState()
        let weak = PasswordHash(hashing: "pw", rounds: 2)
        _ = try state.apply(.userAdd(name: "alice", password: weak))
        let revision = state.revision
        let strong = PasswordHash(hashing: "pw", rounds: 3)
        _ = try state.apply(.userUpgradePassword(name: "alice", from: weak, to: strong))
        #expect(state.users["alice"]?.password == strong)
        #expect(state.revision == revision, "the same password: requests checked before need no new check")

        // A password changed between the login and the upgrade's apply stays changed.
        let changed = PasswordHash(hashing: "new", rounds: 2)
        _ = try state.apply(.userChangePassword(name: "alice", password: changed))
        _ = try state.apply(.userUpgradePassword(name: "alice", from: strong, to: PasswordHash(hashing: "pw", rounds: 4)))
        #expect(state.users["alice"]?.password == changed)
        // And a user deleted meanwhile stays deleted.
        _ = try state.apply(.userDelete(name: "alice"))
        _ = try state.apply(.userUpgradePassword(name: "alice", from: changed, to: strong))
        #expect(state.users["alice"] == nil)
    }

    private static func unhex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }
}
