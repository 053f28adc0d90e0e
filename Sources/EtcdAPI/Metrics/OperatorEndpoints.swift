import Foundation
import Server

/// What a member answers over HTTP/1.1 beside its API, as etcd's members do on their client
/// port: `/metrics` (Prometheus's text format), `/health` and `/version`. The gateway port and
/// the client port (`FrontHTTP1Handler`) both answer them.
struct OperatorEndpoints: Sendable {
    let api: MemberAPI
    let grpcMetrics: GRPCServerMetrics

    static let paths: Set<String> = ["/metrics", "/health", "/version"]
    /// The content type Prometheus's client libraries give the text format 0.0.4.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The answer to `method` on `uri` when its path is one of `paths`, else nil.
    func answer(method: String, uri: String) -> GatewayReply? {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        guard Self.paths.contains(path) else { return nil }
        guard method == "GET" else {
            return GatewayReply(status: 405, body: Array("Method Not Allowed\n".utf8), contentType: "text/plain; charset=utf-8",
                                allow: "GET")
        }
        let query = parts.count > 1 ? parts[1].split(separator: "&").map(String.init) : []
        switch path {
        case "/metrics": return metrics()
        case "/health": return health(serializable: query.contains("serializable=true"))
        default: return version()
        }
    }

    private func metrics() -> GatewayReply {
        guard let member = try? api.member() else {
            return GatewayReply(status: 503, body: Array("member \(api.memberID) is stopped\n".utf8), contentType: "text/plain; charset=utf-8")
        }
        var body: [UInt8] = []
        body.reserveCapacity(16 << 10)
        member.metricsExposition(into: &body)
        grpcMetrics.registry.emit(into: &body)
        return GatewayReply(status: 200, body: body, contentType: Self.metricsContentType)
    }

    /// etcd's /health: false for an alarm, then for no leader (unless `serializable`, which asks
    /// about this member alone). etcd's last check, a range through the API, is left out: ours
    /// would answer from the same member state checked here.
    private func health(serializable: Bool) -> GatewayReply {
        let reason: String
        if let member = try? api.member() {
            let status = member.status()
            if let alarm = status.alarms.first {
                reason = switch alarm.alarm {
                case .noSpace: "ALARM NOSPACE"
                case .corrupt: "ALARM CORRUPT"
                default: "ALARM UNKNOWN"
                }
            } else if !serializable && status.raft.lead == 0 {
                reason = "RAFT NO LEADER"
            } else {
                reason = ""
            }
        } else {
            reason = "SERVER STOPPED"
        }
        let healthy = reason.isEmpty
        (healthy ? grpcMetrics.healthSuccess : grpcMetrics.healthFailures).increment()
        let json = Self.json(Health(health: healthy ? "true" : "false", reason: reason))
        // As etcd: a failure goes out through Go's http.Error, as text with a newline.
        return healthy
            ? GatewayReply(status: 200, body: json, contentType: "application/json")
            : GatewayReply(status: 503, body: json + [UInt8(ascii: "\n")], contentType: "text/plain; charset=utf-8")
    }

    private func version() -> GatewayReply {
        GatewayReply(status: 200, body: Self.json(Versions.current), contentType: "application/json")
    }

    /// etcd's `etcdhttp.Health`.
    struct Health: Codable, Equatable {
        var health: String
        var reason: String
    }

    /// etcd's `version.Versions`: the server's version and the cluster's (its major.minor.0).
    struct Versions: Codable, Equatable {
        var etcdserver: String
        var etcdcluster: String

        static let current = Versions(etcdserver: etcdAPIVersion,
                                      etcdcluster: etcdAPIVersion.split(separator: ".").prefix(2).joined(separator: ".") + ".0")
    }

    private static func json(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { [UInt8]($0) } ?? []
    }
}
