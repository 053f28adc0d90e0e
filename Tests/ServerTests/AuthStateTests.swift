import ByteCoding
import MVCC
import Raft
import Testing
@testable import Server

/// The auth store alone: etcd's rules for users, roles and permissions.
@Suite struct AuthStateTests {
    /// root with the root role, alice with role `r`, and auth on.
    static func enabledState(_ permissions: [Permission]) throws -> AuthState {
        var state = AuthState()
        _ = try state.apply(.userAdd(name: "root", password: nil))
        _ = try state.apply(.userGrantRole(user: "root", role: "root"))
        _ = try state.apply(.roleAdd(name: "r"))
        for permission in permissions { _ = try state.apply(.roleGrantPermission(role: "r", permission: permission)) }
        _ = try state.apply(.userAdd(name: "alice", password: nil))
        _ = try state.apply(.userGrantRole(user: "alice", role: "r"))
        _ = try state.apply(.enable)
        return state
    }

    @Test func enableNeedsARootUserWithTheRootRole() throws {
        var state = AuthState()
        #expect(throws: AuthError.rootUserNotExist) { try state.apply(.enable) }
        _ = try state.apply(.userAdd(name: "root", password: nil))
        #expect(throws: AuthError.rootRoleNotExist) { try state.apply(.enable) }
        _ = try state.apply(.userGrantRole(user: "root", role: "root"))
        _ = try state.apply(.enable)
        #expect(state.enabled)
        #expect(throws: AuthError.invalidAuthMgmt) { try state.apply(.userDelete(name: "root")) }
        #expect(throws: AuthError.invalidAuthMgmt) { try state.apply(.userRevokeRole(user: "root", role: "root")) }
    }

    @Test func everyChangeBumpsTheRevisionAndRefusalsLeaveItAlone() throws {
        var state = AuthState()
        #expect(state.revision == 1)
        _ = try state.apply(.roleAdd(name: "r"))
        #expect(state.revision == 2)
        #expect(throws: AuthError.roleAlreadyExist) { try state.apply(.roleAdd(name: "r")) }
        _ = try state.apply(.roleList)
        #expect(state.revision == 2)
        _ = try state.apply(.roleGrantPermission(role: "r", permission: Permission(kind: .read, range: KeyRange(key: bytes("a")))))
        #expect(state.revision == 3)
    }

    @Test func aPrefixPermissionEndsExactlyAtTheRangeEnd() throws {
        let state = try Self.enabledState([Permission(kind: .readwrite, range: .prefix(bytes("foo")))])
        let rev = state.revision
        func allowed(_ range: KeyRange) -> Bool {
            (try? state.check(username: "alice", authRevision: rev, access: .write, range: range)) != nil
        }
        #expect(allowed(KeyRange(key: bytes("foo"))))
        #expect(allowed(KeyRange(key: bytes("foo/bar"))))
        #expect(allowed(KeyRange(key: bytes("foo") + [0xff, 0xff])))
        #expect(!allowed(KeyRange(key: bytes("fop"))), "the range end itself is outside")
        #expect(!allowed(KeyRange(key: bytes("fo"))))
        #expect(!allowed(KeyRange(key: bytes("fon") + [0xff])))
        #expect(allowed(KeyRange(key: bytes("foo"), rangeEnd: bytes("fop"))))
        #expect(!allowed(KeyRange(key: bytes("foo"), rangeEnd: bytes("fop") + [0])), "one key past the end")
        #expect(!allowed(KeyRange(key: bytes("foo"), rangeEnd: [0])), "to the end of the key space")
    }

    @Test func adjoiningPermissionsCoverARangeTogether() throws {
        let state = try Self.enabledState([
            Permission(kind: .read, range: KeyRange(key: bytes("a"), rangeEnd: bytes("m"))),
            Permission(kind: .readwrite, range: KeyRange(key: bytes("m"), rangeEnd: bytes("z"))),
        ])
        let rev = state.revision
        #expect((try? state.check(username: "alice", authRevision: rev, access: .read, range: KeyRange(key: bytes("b"), rangeEnd: bytes("y")))) != nil)
        #expect(throws: AuthError.permissionDenied) {
            try state.check(username: "alice", authRevision: rev, access: .write, range: KeyRange(key: bytes("b"), rangeEnd: bytes("y")))
        }
        #expect(throws: AuthError.permissionDenied) {
            try state.check(username: "alice", authRevision: rev, access: .read, range: KeyRange(key: bytes("b"), rangeEnd: bytes("z") + [0]))
        }
    }

    @Test func checksRefuseNoUserAnOldRevisionAndUnknownUsers() throws {
        let state = try Self.enabledState([Permission(kind: .readwrite, range: KeyRange(key: bytes("k")))])
        let k = KeyRange(key: bytes("k"))
        #expect(throws: AuthError.userEmpty) { try state.check(username: "", authRevision: 0, access: .write, range: k) }
        #expect(throws: AuthError.authOldRevision) {
            try state.check(username: "alice", authRevision: state.revision - 1, access: .write, range: k)
        }
        #expect(throws: AuthError.permissionDenied) { try state.check(username: "mallory", authRevision: state.revision, access: .write, range: k) }
        try state.check(username: "root", authRevision: state.revision, access: .write, range: KeyRange(key: [0], rangeEnd: [0]))
        #expect(throws: AuthError.permissionDenied) { try state.checkAdmin(username: "alice") }
        try state.checkAdmin(username: "root")
    }

    @Test func theStateSurvivesItsSnapshotBytes() throws {
        var state = try Self.enabledState([Permission(kind: .write, range: .prefix(bytes("p")))])
        _ = try state.apply(.userChangePassword(name: "alice", password: PasswordHash(hashing: "pw", rounds: 2)))
        let copy = try AuthState(snapshotData: state.snapshotData())
        #expect(copy == state)
        #expect(throws: DecodingError.self) { try AuthState(snapshotData: Array(state.snapshotData().dropLast())) }
    }

    @Test func roleDeleteTakesTheRoleFromItsUsers() throws {
        var state = try Self.enabledState([])
        _ = try state.apply(.roleDelete(name: "r"))
        #expect(try state.apply(.userGet(name: "alice")) == .roles([]))
        #expect(throws: AuthError.invalidAuthMgmt) { try state.apply(.roleDelete(name: "root")) }
    }

    @Test func aSnapshotFromBeforeAuthLoadsWithAuthOff() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: bytes("k"), value: bytes("v")))
        let old = try AppliedSnapshot(decoding: store.snapshotData())
        #expect(old.store == store.snapshotData())
        #expect(old.auth == AuthState())
        let state = try Self.enabledState([])
        let current = try AppliedSnapshot(decoding: AppliedSnapshot(store: store.snapshotData(), auth: state, leases: LeaseTable()).encoded())
        #expect(current.auth == state)
    }
}
