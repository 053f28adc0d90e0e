import ByteCoding
import MVCC
import Raft

/// The bytes of auth operations (in Raft entries) and of the auth state (in snapshots).
/// Decoding checks every length, count and tag, so a corrupt entry or snapshot is an error that
/// names its offset.
extension AuthOperation {
    func encode(into out: inout ByteWriter) {
        switch self {
        case .enable: out.uint8(0)
        case .disable: out.uint8(1)
        case .userAdd(let name, let password):
            out.uint8(2)
            out.string(name)
            out.passwordHash(password)
        case .userDelete(let name):
            out.uint8(3)
            out.string(name)
        case .userChangePassword(let name, let password):
            out.uint8(4)
            out.string(name)
            out.passwordHash(password)
        case .userGrantRole(let user, let role):
            out.uint8(5)
            out.string(user)
            out.string(role)
        case .userRevokeRole(let user, let role):
            out.uint8(6)
            out.string(user)
            out.string(role)
        case .userGet(let name):
            out.uint8(7)
            out.string(name)
        case .userList: out.uint8(8)
        case .roleAdd(let name):
            out.uint8(9)
            out.string(name)
        case .roleDelete(let name):
            out.uint8(10)
            out.string(name)
        case .roleGet(let name):
            out.uint8(11)
            out.string(name)
        case .roleList: out.uint8(12)
        case .roleGrantPermission(let role, let permission):
            out.uint8(13)
            out.string(role)
            out.permission(permission)
        case .roleRevokePermission(let role, let range):
            out.uint8(14)
            out.string(role)
            out.lengthPrefixed(range.key)
            out.lengthPrefixed(range.rangeEnd)
        case .userUpgradePassword(let name, let from, let to):
            out.uint8(15)
            out.string(name)
            out.passwordHash(from)
            out.passwordHash(to)
        }
    }

    init(decoding input: inout ByteReader) throws(DecodingError) {
        let kind = try input.uint8()
        switch kind {
        case 0: self = .enable
        case 1: self = .disable
        case 2: self = .userAdd(name: try input.string(), password: try input.passwordHash())
        case 3: self = .userDelete(name: try input.string())
        case 4: self = .userChangePassword(name: try input.string(), password: try input.passwordHash())
        case 5: self = .userGrantRole(user: try input.string(), role: try input.string())
        case 6: self = .userRevokeRole(user: try input.string(), role: try input.string())
        case 7: self = .userGet(name: try input.string())
        case 8: self = .userList
        case 9: self = .roleAdd(name: try input.string())
        case 10: self = .roleDelete(name: try input.string())
        case 11: self = .roleGet(name: try input.string())
        case 12: self = .roleList
        case 13: self = .roleGrantPermission(role: try input.string(), permission: try input.permission())
        case 14: self = .roleRevokePermission(role: try input.string(),
                                              range: KeyRange(key: try input.lengthPrefixed(), rangeEnd: try input.lengthPrefixed()))
        case 15:
            let name = try input.string()
            let offset = input.offset
            guard let from = try input.passwordHash(), let to = try input.passwordHash() else {
                throw DecodingError(offset: offset, reason: "a password upgrade without both hashes")
            }
            self = .userUpgradePassword(name: name, from: from, to: to)
        default: throw DecodingError(offset: input.offset - 1, reason: "unknown auth operation \(kind)")
        }
    }
}

/// Layout: magic "AUT1", enabled, revision, user count, per user (sorted by name): name,
/// password hash, role count, roles; role count, per role (sorted): name, permission count,
/// permissions.
extension AuthState {
    static let snapshotMagic: [UInt8] = Array("AUT1".utf8)

    public func snapshotData() -> [UInt8] {
        var out = ByteWriter()
        out.bytes(Self.snapshotMagic)
        out.bool(enabled)
        out.uint64(revision)
        out.uint64(UInt64(users.count))
        for name in users.keys.sorted() {
            let user = users[name]!
            out.string(user.name)
            out.passwordHash(user.password)
            out.uint64(UInt64(user.roles.count))
            for role in user.roles { out.string(role) }
        }
        out.uint64(UInt64(roles.count))
        for name in roles.keys.sorted() {
            let role = roles[name]!
            out.string(role.name)
            out.uint64(UInt64(role.permissions.count))
            for permission in role.permissions { out.permission(permission) }
        }
        return out.buffer
    }

    public init(snapshotData data: [UInt8]) throws(DecodingError) {
        var input = ByteReader(data)
        guard try input.bytes(4) == Self.snapshotMagic else { throw DecodingError(offset: 0, reason: "bad auth magic") }
        self.init()
        enabled = try input.bool()
        revision = try input.uint64()
        guard revision >= 1 else { throw input.error("auth revision 0") }
        for _ in 0..<(try input.count(atMost: Self.maxUsers, of: "users")) {
            let name = try input.string()
            let password = try input.passwordHash()
            var userRoles: [String] = []
            for _ in 0..<(try input.count(atMost: Self.maxRoles, of: "roles of a user")) { userRoles.append(try input.string()) }
            users[name] = User(name: name, password: password, roles: userRoles)
        }
        for _ in 0..<(try input.count(atMost: Self.maxRoles, of: "roles")) {
            let name = try input.string()
            var permissions: [Permission] = []
            for _ in 0..<(try input.count(atMost: Self.maxPermissionsPerRole, of: "permissions")) {
                permissions.append(try input.permission())
            }
            roles[name] = Role(name: name, permissions: permissions)
        }
        try input.expectEnd()
    }
}

extension ByteWriter {
    mutating func string(_ s: String) {
        lengthPrefixed(Array(s.utf8))
    }

    /// A tag, 0 for no password or the hash's algorithm, then its rounds, salt and hash. Before
    /// hashes named their algorithm the tag was a presence flag, and 1, present, is
    /// PBKDF2-HMAC-SHA256's number: what older code wrote decodes unchanged.
    mutating func passwordHash(_ hash: PasswordHash?) {
        guard let hash else { return uint8(0) }
        uint8(hash.algorithm.rawValue)
        uint64(UInt64(hash.rounds))
        lengthPrefixed(hash.salt)
        lengthPrefixed(hash.hash)
    }

    mutating func permission(_ permission: Permission) {
        uint8(permission.kind.rawValue)
        lengthPrefixed(permission.range.key)
        lengthPrefixed(permission.range.rangeEnd)
    }
}

extension ByteReader {
    mutating func string() throws(DecodingError) -> String {
        String(decoding: try lengthPrefixed(), as: UTF8.self)
    }

    mutating func count(atMost limit: Int, of what: String) throws(DecodingError) -> Int {
        let n = try uint64()
        guard n <= UInt64(limit) else { throw DecodingError(offset: offset - 8, reason: "\(n) \(what), more than \(limit)") }
        return Int(n)
    }

    mutating func passwordHash() throws(DecodingError) -> PasswordHash? {
        let tag = try uint8()
        guard tag != 0 else { return nil }
        guard let algorithm = PasswordHash.Algorithm(rawValue: tag) else {
            throw DecodingError(offset: offset - 1, reason: "unknown password hash algorithm \(tag)")
        }
        let rounds = try uint64()
        guard let stored = UInt32(exactly: rounds), PasswordHash.storedRounds.contains(stored) else {
            throw DecodingError(offset: offset - 8, reason: "password hash with \(rounds) rounds, not \(PasswordHash.storedRounds)")
        }
        let salt = try lengthPrefixed()
        guard salt.count <= PasswordHash.maxSaltBytes else {
            throw error("password salt of \(salt.count) bytes, more than \(PasswordHash.maxSaltBytes)")
        }
        let hash = try lengthPrefixed()
        guard hash.count == PasswordHash.hashBytes else { throw error("password hash of \(hash.count) bytes") }
        return PasswordHash(algorithm: algorithm, rounds: stored, salt: salt, hash: hash)
    }

    mutating func permission() throws(DecodingError) -> Permission {
        let kindValue = try uint8()
        guard let kind = Permission.Kind(rawValue: kindValue) else { throw error("unknown permission kind \(kindValue)") }
        return Permission(kind: kind, range: KeyRange(key: try lengthPrefixed(), rangeEnd: try lengthPrefixed()))
    }
}
