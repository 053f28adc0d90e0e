import Foundation
import MVCC
import NIOPosix
import Server

/// etcd's Auth service: every change and query goes through Raft as an auth operation, applied
/// by every member; Authenticate checks the password on this member and hands out a token.
///
/// Hashing a password (PBKDF2 at OWASP's 600,000 rounds by default) keeps a CPU busy for a
/// fifth of a second or more: Authenticate, UserAdd and UserChangePassword hash on NIO's pool
/// for blocking work, so the event loop, which in `rafttop serve` also runs every Swift task,
/// goes on serving the other calls of its connections meanwhile.
extension MemberAPI {
    public func authenticate(_ request: Etcdserverpb_AuthenticateRequest) async throws(EtcdAPIError) -> Etcdserverpb_AuthenticateResponse {
        let member = try member()
        let (name, password) = (request.name, request.password)
        let token = await withCheckedContinuation { continuation in
            NIOThreadPool.singleton.submit { _ in
                continuation.resume(returning: Result { () throws(AuthError) in try member.authenticate(username: name, password: password) })
            }
        }
        do throws(AuthError) {
            var out = Etcdserverpb_AuthenticateResponse()
            out.token = try token.get()
            out.header = currentHeader(member)
            return out
        } catch {
            throw .auth(error)
        }
    }

    public func authEnable(_ request: Etcdserverpb_AuthEnableRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthEnableResponse {
        try await changed(.enable, credentials)
    }

    public func authDisable(_ request: Etcdserverpb_AuthDisableRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthDisableResponse {
        try await changed(.disable, credentials)
    }

    public func userAdd(_ request: Etcdserverpb_AuthUserAddRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthUserAddResponse {
        let noPassword = request.hasOptions && request.options.noPassword
        let member = try member()
        let result = await withCheckedContinuation { continuation in
            NIOThreadPool.singleton.submit { _ in
                member.addUser(request.name, password: noPassword ? nil : request.password, credentials: credentials) {
                    continuation.resume(returning: $0)
                }
            }
        }
        return try answer(result.get(orThrow: EtcdAPIError.init))
    }

    public func userChangePassword(_ request: Etcdserverpb_AuthUserChangePasswordRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthUserChangePasswordResponse {
        let member = try member()
        let result = await withCheckedContinuation { continuation in
            NIOThreadPool.singleton.submit { _ in
                member.changePassword(of: request.name, to: request.password, credentials: credentials) { continuation.resume(returning: $0) }
            }
        }
        return try answer(result.get(orThrow: EtcdAPIError.init))
    }

    public func userGet(_ request: Etcdserverpb_AuthUserGetRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthUserGetResponse {
        let response = try await member().proposed(.auth(.userGet(name: request.name)), credentials: credentials)
        guard case .auth(.roles(let roles)) = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_AuthUserGetResponse()
        out.header = header(response.header)
        out.roles = roles
        return out
    }

    public func userList(_ request: Etcdserverpb_AuthUserListRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthUserListResponse {
        let response = try await member().proposed(.auth(.userList), credentials: credentials)
        guard case .auth(.names(let names)) = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_AuthUserListResponse()
        out.header = header(response.header)
        out.users = names
        return out
    }

    public func userDelete(_ request: Etcdserverpb_AuthUserDeleteRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthUserDeleteResponse {
        try await changed(.userDelete(name: request.name), credentials)
    }

    public func userGrantRole(_ request: Etcdserverpb_AuthUserGrantRoleRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthUserGrantRoleResponse {
        try await changed(.userGrantRole(user: request.user, role: request.role), credentials)
    }

    public func userRevokeRole(_ request: Etcdserverpb_AuthUserRevokeRoleRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthUserRevokeRoleResponse {
        try await changed(.userRevokeRole(user: request.name, role: request.role), credentials)
    }

    public func roleAdd(_ request: Etcdserverpb_AuthRoleAddRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthRoleAddResponse {
        try await changed(.roleAdd(name: request.name), credentials)
    }

    public func roleGet(_ request: Etcdserverpb_AuthRoleGetRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthRoleGetResponse {
        let response = try await member().proposed(.auth(.roleGet(name: request.role)), credentials: credentials)
        guard case .auth(.permissions(let permissions)) = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_AuthRoleGetResponse()
        out.header = header(response.header)
        out.perm = permissions.map(Authpb_Permission.init)
        return out
    }

    public func roleList(_ request: Etcdserverpb_AuthRoleListRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthRoleListResponse {
        let response = try await member().proposed(.auth(.roleList), credentials: credentials)
        guard case .auth(.names(let names)) = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_AuthRoleListResponse()
        out.header = header(response.header)
        out.roles = names
        return out
    }

    public func roleDelete(_ request: Etcdserverpb_AuthRoleDeleteRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthRoleDeleteResponse {
        try await changed(.roleDelete(name: request.role), credentials)
    }

    public func roleGrantPermission(_ request: Etcdserverpb_AuthRoleGrantPermissionRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthRoleGrantPermissionResponse {
        guard request.hasPerm else { throw .auth(.permissionNotGiven) }
        let permission = try Permission(request.perm)
        return try await changed(.roleGrantPermission(role: request.name, permission: permission), credentials)
    }

    public func roleRevokePermission(_ request: Etcdserverpb_AuthRoleRevokePermissionRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_AuthRoleRevokePermissionResponse {
        let range = KeyRange(key: [UInt8](request.key), rangeEnd: [UInt8](request.rangeEnd))
        return try await changed(.roleRevokePermission(role: request.role, range: range), credentials)
    }

    /// Proposes a change whose answer is only a header.
    private func changed<Answer: AuthAnswer>(_ operation: AuthOperation, _ credentials: Credentials) async throws(EtcdAPIError) -> Answer {
        try answer(try await member().proposed(.auth(operation), credentials: credentials))
    }

    private func answer<Answer: AuthAnswer>(_ response: Response) throws(EtcdAPIError) -> Answer {
        guard case .auth(.done) = response.outcome else { throw unexpected(response.outcome) }
        var out = Answer()
        out.header = header(response.header)
        return out
    }
}

/// The auth responses that carry nothing but a header.
protocol AuthAnswer {
    init()
    var header: Etcdserverpb_ResponseHeader { get set }
}

extension Etcdserverpb_AuthEnableResponse: AuthAnswer {}
extension Etcdserverpb_AuthDisableResponse: AuthAnswer {}
extension Etcdserverpb_AuthUserAddResponse: AuthAnswer {}
extension Etcdserverpb_AuthUserChangePasswordResponse: AuthAnswer {}
extension Etcdserverpb_AuthUserDeleteResponse: AuthAnswer {}
extension Etcdserverpb_AuthUserGrantRoleResponse: AuthAnswer {}
extension Etcdserverpb_AuthUserRevokeRoleResponse: AuthAnswer {}
extension Etcdserverpb_AuthRoleAddResponse: AuthAnswer {}
extension Etcdserverpb_AuthRoleDeleteResponse: AuthAnswer {}
extension Etcdserverpb_AuthRoleGrantPermissionResponse: AuthAnswer {}
extension Etcdserverpb_AuthRoleRevokePermissionResponse: AuthAnswer {}

extension Authpb_Permission {
    init(_ permission: Permission) {
        self.init()
        permType = switch permission.kind {
        case .read: .read
        case .write: .write
        case .readwrite: .readwrite
        }
        key = Data(permission.range.key)
        rangeEnd = Data(permission.range.rangeEnd)
    }
}

extension Permission {
    init(_ permission: Authpb_Permission) throws(EtcdAPIError) {
        let kind: Kind
        switch permission.permType {
        case .read: kind = .read
        case .write: kind = .write
        case .readwrite: kind = .readwrite
        case .UNRECOGNIZED(let value): throw .invalidArgument("etcdserver: unknown permission type \(value)")
        }
        self.init(kind: kind, range: KeyRange(key: [UInt8](permission.key), rangeEnd: [UInt8](permission.rangeEnd)))
    }
}
