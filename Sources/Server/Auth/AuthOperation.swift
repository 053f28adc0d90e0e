import MVCC

/// An auth change or query, proposed through Raft and applied by every member (etcd's
/// InternalRaftRequest auth fields). Passwords travel only as `PasswordHash`.
public enum AuthOperation: Sendable, Hashable {
    case enable
    case disable
    /// A nil password makes a user that cannot authenticate with one (etcd's no-password option).
    case userAdd(name: String, password: PasswordHash?)
    case userDelete(name: String)
    case userChangePassword(name: String, password: PasswordHash?)
    case userGrantRole(user: String, role: String)
    case userRevokeRole(user: String, role: String)
    case userGet(name: String)
    case userList
    case roleAdd(name: String)
    case roleDelete(name: String)
    case roleGet(name: String)
    case roleList
    case roleGrantPermission(role: String, permission: Permission)
    case roleRevokePermission(role: String, range: KeyRange)
    /// The same password hashed again at a member's configured strength, proposed by the member
    /// that has just checked it (`Member.authenticate`). Applied only while the user's hash is
    /// still `from`, so a password changed in between is never overwritten.
    case userUpgradePassword(name: String, from: PasswordHash, to: PasswordHash)

    /// For logs and the WAL view: names, never a password or its hash.
    public var summary: String {
        switch self {
        case .enable: "auth enable"
        case .disable: "auth disable"
        case .userAdd(let name, _): "user add \(name)"
        case .userDelete(let name): "user delete \(name)"
        case .userChangePassword(let name, _): "user passwd \(name)"
        case .userGrantRole(let user, let role): "user grant \(user) \(role)"
        case .userRevokeRole(let user, let role): "user revoke \(user) \(role)"
        case .userGet(let name): "user get \(name)"
        case .userList: "user list"
        case .roleAdd(let name): "role add \(name)"
        case .roleDelete(let name): "role delete \(name)"
        case .roleGet(let name): "role get \(name)"
        case .roleList: "role list"
        case .roleGrantPermission(let role, let permission):
            "role grant \(role) \(permission.kind) \(printable(permission.range.key))"
        case .roleRevokePermission(let role, let range): "role revoke \(role) \(printable(range.key))"
        case .userUpgradePassword(let name, _, _): "user rehash \(name)"
        }
    }

    /// Whether applying it changes the auth state (and so the auth revision) when it succeeds.
    /// An upgraded hash checks the same password and grants the same permissions: requests
    /// checked before it need not be checked again.
    var isChange: Bool {
        switch self {
        case .userGet, .userList, .roleGet, .roleList, .userUpgradePassword: false
        default: true
        }
    }
}

/// What an auth operation answers.
public enum AuthResult: Sendable, Hashable {
    case done
    /// A user's roles (UserGet).
    case roles([String])
    /// Every user or every role name (UserList, RoleList), sorted.
    case names([String])
    /// A role's permissions (RoleGet).
    case permissions([Permission])
}
