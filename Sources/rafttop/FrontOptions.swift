import ArgumentParser
import Cluster
import EtcdAPI
import Server

/// The limits every client-facing port holds a client to, with etcd's flag names where etcd has
/// the flag (see the README's security section).
struct FrontOptions: ParsableArguments {
    @Option(help: "The largest request a member proposes, in bytes (etcd's flag and default); gRPC allows 512 KiB more on the wire.")
    var maxRequestBytes: Int = MemberConfig.etcdMaxRequestBytes

    @Option(help: "Streams one gRPC connection may have open at once (etcd's flag; its default is 2^32-1).")
    var maxConcurrentStreams: Int = FrontLimits().maxConcurrentStreams

    @Option(help: "Connections each gRPC and JSON gateway port holds at once; more are closed as they arrive.")
    var maxClientConnections: Int = FrontLimits().maxConnections

    @Option(help: "The shortest gap between a client's PINGs that is not abuse; the third too soon ends the connection (etcd's flag and default).")
    var grpcKeepaliveMinTime: String = GoDuration.format(FrontLimits().keepaliveMinTime)

    @Option(help: "After this long with nothing from a client, the server PINGs it (etcd's flag and default).")
    var grpcKeepaliveInterval: String = GoDuration.format(FrontLimits().keepaliveInterval)

    @Option(help: "A server PING unanswered this long closes the connection (etcd's flag and default).")
    var grpcKeepaliveTimeout: String = GoDuration.format(FrontLimits().keepaliveTimeout)

    func validate() throws {
        guard (1_024...(64 << 20)).contains(maxRequestBytes) else {
            throw ValidationError("--max-request-bytes must be from 1024 to \(64 << 20), not \(maxRequestBytes)")
        }
        guard (1...1_000_000).contains(maxConcurrentStreams) else {
            throw ValidationError("--max-concurrent-streams must be from 1 to 1000000, not \(maxConcurrentStreams)")
        }
        guard (1...1_000_000).contains(maxClientConnections) else {
            throw ValidationError("--max-client-connections must be from 1 to 1000000, not \(maxClientConnections)")
        }
        _ = try durations()
    }

    private func durations() throws -> (minTime: Duration, interval: Duration, timeout: Duration) {
        func parse(_ flag: String, _ text: String) throws -> Duration {
            guard let duration = GoDuration.parse(text), duration > .zero else {
                throw ValidationError("\(flag) must be a duration above zero such as 5s, 300ms or 2h0m0s, not '\(text)'")
            }
            return duration
        }
        return (try parse("--grpc-keepalive-min-time", grpcKeepaliveMinTime),
                try parse("--grpc-keepalive-interval", grpcKeepaliveInterval),
                try parse("--grpc-keepalive-timeout", grpcKeepaliveTimeout))
    }

    /// The gRPC ports' limits these options set.
    func limits() throws -> FrontLimits {
        let (minTime, interval, timeout) = try durations()
        var limits = FrontLimits()
        limits.maxConcurrentStreams = maxConcurrentStreams
        limits.maxConnections = maxClientConnections
        limits.keepaliveMinTime = minTime
        limits.keepaliveInterval = interval
        limits.keepaliveTimeout = timeout
        return limits
    }

    /// The JSON gateway ports' limits these options set: a body may carry the largest request
    /// in base64 and JSON.
    var gatewayLimits: GatewayLimits {
        var limits = GatewayLimits()
        limits.maxConnections = maxClientConnections
        limits.bodyBytesMax = 2 * maxRequestBytes + (1 << 20)
        return limits
    }

    func apply(to config: inout ClusterConfig) {
        config.member.maxRequestBytes = maxRequestBytes
    }
}
