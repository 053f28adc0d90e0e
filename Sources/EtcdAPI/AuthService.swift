import GRPCCore
import Server

/// etcd's Auth service over gRPC: Authenticate, and the user and role management etcdctl's
/// `auth`, `user` and `role` commands call. Each call runs as the user of its `token`.
struct AuthService: Etcdserverpb_Auth.ServiceProtocol {
    let api: MemberAPI

    private func serve<Request: Sendable, Response: Sendable>(
        _ request: ServerRequest<Request>,
        _ call: (Request, Credentials) async throws(EtcdAPIError) -> Response
    ) async throws -> ServerResponse<Response> {
        ServerResponse(message: try await call(request.message, request.metadata.credentials))
    }

    func authEnable(request: ServerRequest<Etcdserverpb_AuthEnableRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthEnableResponse> {
        try await serve(request, api.authEnable)
    }

    func authDisable(request: ServerRequest<Etcdserverpb_AuthDisableRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthDisableResponse> {
        try await serve(request, api.authDisable)
    }

    func authenticate(request: ServerRequest<Etcdserverpb_AuthenticateRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthenticateResponse> {
        ServerResponse(message: try await api.authenticate(request.message))
    }

    func userAdd(request: ServerRequest<Etcdserverpb_AuthUserAddRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthUserAddResponse> {
        try await serve(request, api.userAdd)
    }

    func userGet(request: ServerRequest<Etcdserverpb_AuthUserGetRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthUserGetResponse> {
        try await serve(request, api.userGet)
    }

    func userList(request: ServerRequest<Etcdserverpb_AuthUserListRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthUserListResponse> {
        try await serve(request, api.userList)
    }

    func userDelete(request: ServerRequest<Etcdserverpb_AuthUserDeleteRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthUserDeleteResponse> {
        try await serve(request, api.userDelete)
    }

    func userChangePassword(request: ServerRequest<Etcdserverpb_AuthUserChangePasswordRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthUserChangePasswordResponse> {
        try await serve(request, api.userChangePassword)
    }

    func userGrantRole(request: ServerRequest<Etcdserverpb_AuthUserGrantRoleRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthUserGrantRoleResponse> {
        try await serve(request, api.userGrantRole)
    }

    func userRevokeRole(request: ServerRequest<Etcdserverpb_AuthUserRevokeRoleRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthUserRevokeRoleResponse> {
        try await serve(request, api.userRevokeRole)
    }

    func roleAdd(request: ServerRequest<Etcdserverpb_AuthRoleAddRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthRoleAddResponse> {
        try await serve(request, api.roleAdd)
    }

    func roleGet(request: ServerRequest<Etcdserverpb_AuthRoleGetRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthRoleGetResponse> {
        try await serve(request, api.roleGet)
    }

    func roleList(request: ServerRequest<Etcdserverpb_AuthRoleListRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthRoleListResponse> {
        try await serve(request, api.roleList)
    }

    func roleDelete(request: ServerRequest<Etcdserverpb_AuthRoleDeleteRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthRoleDeleteResponse> {
        try await serve(request, api.roleDelete)
    }

    func roleGrantPermission(request: ServerRequest<Etcdserverpb_AuthRoleGrantPermissionRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthRoleGrantPermissionResponse> {
        try await serve(request, api.roleGrantPermission)
    }

    func roleRevokePermission(request: ServerRequest<Etcdserverpb_AuthRoleRevokePermissionRequest>, context: ServerContext) async throws
        -> ServerResponse<Etcdserverpb_AuthRoleRevokePermissionResponse> {
        try await serve(request, api.roleRevokePermission)
    }
}
