/// What the auth store refuses, worded as etcd words it (api/v3rpc/rpctypes), so a person who
/// knows etcd recognises each one.
public enum AuthError: Error, Sendable, Hashable, CustomStringConvertible {
    case rootUserNotExist
    case rootRoleNotExist
    case userAlreadyExist
    case userEmpty
    case userNotFound
    case roleAlreadyExist
    case roleNotFound
    case roleEmpty
    case authFailed
    case permissionNotGiven
    case permissionDenied
    case roleNotGranted
    case permissionNotGranted
    case authNotEnabled
    case invalidAuthToken
    case invalidAuthMgmt
    /// The request was checked against an auth state that has changed since: propose it again.
    case authOldRevision
    /// Too many wrong passwords for this user lately; the next attempt is allowed after the delay.
    case tooManyFailedAttempts(retryAfterMillis: UInt64)

    public var description: String {
        switch self {
        case .rootUserNotExist: "etcdserver: root user does not exist"
        case .rootRoleNotExist: "etcdserver: root user does not have root role"
        case .userAlreadyExist: "etcdserver: user name already exists"
        case .userEmpty: "etcdserver: user name is empty"
        case .userNotFound: "etcdserver: user name not found"
        case .roleAlreadyExist: "etcdserver: role name already exists"
        case .roleNotFound: "etcdserver: role name not found"
        case .roleEmpty: "etcdserver: role name is empty"
        case .authFailed: "etcdserver: authentication failed, invalid user ID or password"
        case .permissionNotGiven: "etcdserver: permission not given"
        case .permissionDenied: "etcdserver: permission denied"
        case .roleNotGranted: "etcdserver: role is not granted to the user"
        case .permissionNotGranted: "etcdserver: permission is not granted to the role"
        case .authNotEnabled: "etcdserver: authentication is not enabled"
        case .invalidAuthToken: "etcdserver: invalid auth token"
        case .invalidAuthMgmt: "etcdserver: invalid auth management"
        case .authOldRevision: "etcdserver: revision of auth store is old"
        case .tooManyFailedAttempts(let millis):
            "etcdserver: authentication failed, too many failed attempts for this user; retry in \(millis) ms"
        }
    }
}
