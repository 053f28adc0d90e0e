import Foundation
import GRPCCore
import SwiftProtobuf

/// An HTTP answer from the gateway.
struct GatewayReply: Sendable {
    var status: Int
    var body: [UInt8]
    /// The Content-Type, when the body is not the gateway's JSON or plain text.
    var contentType: String? = nil
    /// The Allow header of a 405.
    var allow: String? = nil

    /// The Content-Type the answer goes out with.
    var contentTypeSent: String {
        contentType ?? (status == 200 || body.first == UInt8(ascii: "{") ? "application/json" : "text/plain; charset=utf-8")
    }
}

/// etcd's gRPC-Gateway: the v3 API as JSON over HTTP POST, with the proto field names, 64-bit
/// integers as strings and bytes as base64, as grpc-gateway writes them.
struct GatewayRoutes: Sendable {
    let api: MemberAPI
    /// /metrics, /health and /version, when the port serves them.
    var operatorEndpoints: OperatorEndpoints? = nil

    /// Paths under /v3/ (etcd 3.4 also answers under /v3beta/).
    static let prefixes = ["/v3/", "/v3beta/"]

    /// Routes whose call waits, for as long as a lock is held or a leader leads (Lock, Campaign).
    static let waitingRoutes: Set<String> = ["lock/lock", "election/campaign"]

    /// The route of `path` under /v3/ or /v3beta/.
    static func route(of path: String) -> String? {
        prefixes.lazy.compactMap { path.hasPrefix($0) ? String(path.dropFirst($0.count)) : nil }.first
    }

    func respond(method: String, path: String, body: [UInt8]) async -> GatewayReply {
        if let reply = operatorEndpoints?.answer(method: method, uri: path) { return reply }
        guard let route = Self.route(of: path) else { return Self.notFound }
        guard method == "POST" else { return GatewayReply(status: 405, body: Array("Method Not Allowed\n".utf8)) }
        // The gateway carries no token: with auth on, its key-value calls are refused. The
        // streams (Watch, Observe), which etcd's gateway writes as JSON lines, are not served.
        switch route {
        case "kv/range": return await call(body) { (r: Etcdserverpb_RangeRequest) throws(EtcdAPIError) in try await api.range(r) }
        case "kv/put": return await call(body) { (r: Etcdserverpb_PutRequest) throws(EtcdAPIError) in try await api.put(r) }
        case "kv/deleterange": return await call(body) { (r: Etcdserverpb_DeleteRangeRequest) throws(EtcdAPIError) in try await api.deleteRange(r) }
        case "kv/txn": return await call(body) { (r: Etcdserverpb_TxnRequest) throws(EtcdAPIError) in try await api.txn(r) }
        case "kv/compaction": return await call(body) { (r: Etcdserverpb_CompactionRequest) throws(EtcdAPIError) in try await api.compact(r) }
        case "maintenance/status": return await call(body) { (_: Etcdserverpb_StatusRequest) throws(EtcdAPIError) in try api.status() }
        case "maintenance/alarm": return await call(body) { (request: Etcdserverpb_AlarmRequest) throws(EtcdAPIError) in try await api.alarm(request) }
        case "maintenance/hash": return await call(body) { (_: Etcdserverpb_HashRequest) throws(EtcdAPIError) in try api.hash() }
        case "maintenance/defragment": return await call(body) { (_: Etcdserverpb_DefragmentRequest) throws(EtcdAPIError) in try api.defragment() }
        case "cluster/member/list": return await call(body) { (_: Etcdserverpb_MemberListRequest) throws(EtcdAPIError) in try api.memberList() }
        case "lease/grant": return await call(body) { (r: Etcdserverpb_LeaseGrantRequest) throws(EtcdAPIError) in try await api.leaseGrant(r) }
        case "lease/revoke", "kv/lease/revoke":
            return await call(body) { (r: Etcdserverpb_LeaseRevokeRequest) throws(EtcdAPIError) in try await api.leaseRevoke(r) }
        case "lease/timetolive", "kv/lease/timetolive":
            return await call(body) { (r: Etcdserverpb_LeaseTimeToLiveRequest) throws(EtcdAPIError) in try await api.leaseTimeToLive(r) }
        case "lease/leases", "kv/lease/leases":
            return await call(body) { (_: Etcdserverpb_LeaseLeasesRequest) throws(EtcdAPIError) in try api.leaseLeases() }
        case "lock/lock": return await call(body) { (r: V3lockpb_LockRequest) throws(EtcdAPIError) in try await api.lock(r) }
        case "lock/unlock": return await call(body) { (r: V3lockpb_UnlockRequest) throws(EtcdAPIError) in try await api.unlock(r) }
        case "election/campaign": return await call(body) { (r: V3electionpb_CampaignRequest) throws(EtcdAPIError) in try await api.campaign(r) }
        case "election/proclaim": return await call(body) { (r: V3electionpb_ProclaimRequest) throws(EtcdAPIError) in try await api.proclaim(r) }
        case "election/leader": return await call(body) { (r: V3electionpb_LeaderRequest) throws(EtcdAPIError) in try await api.leader(r) }
        case "election/resign": return await call(body) { (r: V3electionpb_ResignRequest) throws(EtcdAPIError) in try await api.resign(r) }
        case "cluster/member/add":
            return await call(body) { (r: Etcdserverpb_MemberAddRequest) throws(EtcdAPIError) in try await api.memberAdd(r, credentials: .none) }
        case "cluster/member/remove":
            return await call(body) { (r: Etcdserverpb_MemberRemoveRequest) throws(EtcdAPIError) in try await api.memberRemove(r, credentials: .none) }
        case "cluster/member/update":
            return await call(body) { (r: Etcdserverpb_MemberUpdateRequest) throws(EtcdAPIError) in try await api.memberUpdate(r, credentials: .none) }
        case "cluster/member/promote":
            return await call(body) { (r: Etcdserverpb_MemberPromoteRequest) throws(EtcdAPIError) in try await api.memberPromote(r, credentials: .none) }
        default: return Self.notFound
        }
    }

    static let notFound = GatewayReply(status: 404, body: Array("Not Found\n".utf8))

    private static let decoding: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        return options
    }()

    private static let encoding: JSONEncodingOptions = {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return options
    }()

    private func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ body: [UInt8], _ handler: (Request) async throws(EtcdAPIError) -> Response
    ) async -> GatewayReply {
        let request: Request
        do {
            request = body.allSatisfy(\.isWhitespace) ? Request() : try Request(jsonUTF8Bytes: body, options: Self.decoding)
        } catch {
            return Self.error(code: .invalidArgument, message: "\(error)")
        }
        do {
            let response = try await handler(request)
            let json: [UInt8] = try response.jsonUTF8Bytes(options: Self.encoding)
            return GatewayReply(status: 200, body: json)
        } catch let error as EtcdAPIError {
            return Self.error(code: error.code, message: error.description)
        } catch {
            return Self.error(code: .internalError, message: "\(error)")
        }
    }

    /// grpc-gateway's error body and the HTTP status it gives each gRPC code.
    static func error(code: RPCError.Code, message: String) -> GatewayReply {
        struct Body: Encodable {
            var error: String
            var code: Int
            var message: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = (try? encoder.encode(Body(error: message, code: code.rawValue, message: message))) ?? Data()
        return GatewayReply(status: httpStatus(code), body: [UInt8](body))
    }

    static func httpStatus(_ code: RPCError.Code) -> Int {
        switch code {
        case .cancelled: 408
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .deadlineExceeded: 504
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .permissionDenied: 403
        case .unauthenticated: 401
        case .resourceExhausted: 429
        case .unimplemented: 501
        case .unavailable: 503
        default: 500
        }
    }
}

extension UInt8 {
    fileprivate var isWhitespace: Bool { self == 0x20 || self == 0x0a || self == 0x0d || self == 0x09 }
}
