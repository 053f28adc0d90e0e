import MVCC

/// The replicated auth store: users, roles, whether auth is on, and the auth revision, which
/// grows by one with every change. Every member applies the same operations in the same order,
/// so every member holds the same state; it goes into snapshots with the key-value store.
public struct AuthState: Sendable, Hashable {
    public static let rootUser = "root"
    public static let rootRole = "root"
    /// Bounds, so one client cannot make every member hold unbounded state.
    static let maxUsers = 10_000
    static let maxRoles = 10_000
    static let maxPermissionsPerRole = 1_000

    public struct User: Sendable, Hashable {
        public var name: String
        public var password: PasswordHash?
        /// Sorted, without duplicates.
        public var roles: [String]
    }

    public struct Role: Sendable, Hashable {
        public var name: String
        /// Sorted by key.
        public var permissions: [Permission]
    }

    public internal(set) var enabled = false
    /// Starts at 1, as etcd's: a request header with auth revision 0 carries no user.
    public internal(set) var revision: UInt64 = 1
    public internal(set) var users: [String: User] = [:]
    public internal(set) var roles: [String: Role] = [:]

    public init() {}

    // MARK: Applying operations

    /// Applies one operation; on an error the state is unchanged.
    public mutating func apply(_ operation: AuthOperation) throws(AuthError) -> AuthResult {
        var next = self
        let result = try next.execute(operation)
        if operation.isChange && next != self {
            next.revision = revision + 1
        }
        self = next
        return result
    }

    private mutating func execute(_ operation: AuthOperation) throws(AuthError) -> AuthResult {
        switch operation {
        case .enable:
            guard let root = users[Self.rootUser] else { throw .rootUserNotExist }
            guard root.roles.contains(Self.rootRole) else { throw .rootRoleNotExist }
            enabled = true
        case .disable:
            enabled = false
        case .userAdd(let name, let password):
            guard !name.isEmpty else { throw .userEmpty }
            guard users[name] == nil else { throw .userAlreadyExist }
            guard users.count < Self.maxUsers else { throw .invalidAuthMgmt }
            users[name] = User(name: name, password: password, roles: [])
        case .userDelete(let name):
            if enabled && name == Self.rootUser { throw .invalidAuthMgmt }
            guard users.removeValue(forKey: name) != nil else { throw .userNotFound }
        case .userChangePassword(let name, let password):
            guard users[name] != nil else { throw .userNotFound }
            users[name]!.password = password
        case .userUpgradePassword(let name, let from, let to):
            guard users[name]?.password == from else { return .done }
            users[name]!.password = to
        case .userGrantRole(let name, let role):
            guard var user = users[name] else { throw .userNotFound }
            guard role == Self.rootRole || roles[role] != nil else { throw .roleNotFound }
            guard !user.roles.contains(role) else { return .done }
            user.roles.append(role)
            user.roles.sort()
            users[name] = user
        case .userRevokeRole(let name, let role):
            if enabled && name == Self.rootUser && role == Self.rootRole { throw .invalidAuthMgmt }
            guard var user = users[name] else { throw .userNotFound }
            guard let index = user.roles.firstIndex(of: role) else { throw .roleNotGranted }
            user.roles.remove(at: index)
            users[name] = user
        case .userGet(let name):
            guard let user = users[name] else { throw .userNotFound }
            return .roles(user.roles)
        case .userList:
            return .names(users.keys.sorted())
        case .roleAdd(let name):
            guard !name.isEmpty else { throw .roleEmpty }
            guard roles[name] == nil else { throw .roleAlreadyExist }
            guard roles.count < Self.maxRoles else { throw .invalidAuthMgmt }
            roles[name] = Role(name: name, permissions: [])
        case .roleDelete(let name):
            if enabled && name == Self.rootRole { throw .invalidAuthMgmt }
            guard roles.removeValue(forKey: name) != nil else { throw .roleNotFound }
            for (userName, user) in users where user.roles.contains(name) {
                users[userName]!.roles.removeAll { $0 == name }
            }
        case .roleGet(let name):
            guard let role = roles[name] else { throw .roleNotFound }
            return .permissions(name == Self.rootRole ? [Permission.everything] : role.permissions)
        case .roleList:
            return .names(roles.keys.sorted())
        case .roleGrantPermission(let name, let permission):
            guard permission.isValid else { throw .invalidAuthMgmt }
            guard var role = roles[name] else { throw .roleNotFound }
            if let index = role.permissions.firstIndex(where: { $0.range == permission.range }) {
                role.permissions[index].kind = permission.kind
            } else {
                guard role.permissions.count < Self.maxPermissionsPerRole else { throw .invalidAuthMgmt }
                role.permissions.append(permission)
                role.permissions.sort { $0.range.key.lexicographicallyPrecedes($1.range.key) }
            }
            roles[name] = role
        case .roleRevokePermission(let name, let range):
            guard var role = roles[name] else { throw .roleNotFound }
            guard let index = role.permissions.firstIndex(where: { $0.range == range }) else { throw .permissionNotGranted }
            role.permissions.remove(at: index)
            roles[name] = role
        }
        return .done
    }

    // MARK: Checks

    /// etcd's IsAdminPermitted: with auth on, auth operations need a user with the root role.
    public func checkAdmin(username: String) throws(AuthError) {
        guard enabled else { return }
        guard !username.isEmpty else { throw .userEmpty }
        guard let user = users[username] else { throw .userNotFound }
        guard user.roles.contains(Self.rootRole) else { throw .permissionDenied }
    }

    /// etcd's isOpPermitted: with auth on, the request must name a user, must have been checked
    /// at the current auth revision, and the user's roles must allow `access` on all of `range`.
    public func check(username: String, authRevision: UInt64, access: Permission.Access, range: KeyRange) throws(AuthError) {
        guard enabled else { return }
        guard authRevision != 0 else { throw .userEmpty }
        guard authRevision >= revision else { throw .authOldRevision }
        try check(username: username, access: access, range: range)
    }

    /// The permission part of the check alone, against the state as it is now (reads use this).
    public func check(username: String, access: Permission.Access, range: KeyRange) throws(AuthError) {
        guard enabled else { return }
        guard !username.isEmpty else { throw .userEmpty }
        guard let user = users[username] else { throw .permissionDenied }
        if user.roles.contains(Self.rootRole) { return }
        let granted = user.roles.flatMap { roles[$0]?.permissions ?? [] }.filter { $0.kind.allows(access) }
        guard covers(granted, range) else { throw .permissionDenied }
    }
}
