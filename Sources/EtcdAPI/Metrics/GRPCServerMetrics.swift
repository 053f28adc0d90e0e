import CoreMetrics
import GRPCCore
import Locking
import Prometheus

/// The counters of one gRPC method, as go-grpc-prometheus names them for etcd:
/// grpc_server_started_total and grpc_server_handled_total by status code. Made once per method
/// when a member's port opens, so a call costs an atomic increment of each, never a lookup.
final class GRPCCallCounters: Sendable {
    private let started: CoreMetrics.Counter
    private let handledOK: CoreMetrics.Counter
    /// Counters of the other codes, made the first time a call ends with one.
    private let handledOther = Locked<[Int: CoreMetrics.Counter]>([:])
    private let dimensions: [(String, String)]
    private let factory: PrometheusMetricsFactory

    init(service: String, method: String, type: GRPCServerMetrics.CallType, factory: PrometheusMetricsFactory) {
        dimensions = [("grpc_type", type.rawValue), ("grpc_service", service), ("grpc_method", method)]
        self.factory = factory
        started = CoreMetrics.Counter(label: "grpc_server_started_total", dimensions: dimensions, factory: factory)
        handledOK = CoreMetrics.Counter(label: "grpc_server_handled_total", dimensions: dimensions + [("grpc_code", "OK")],
                                        factory: factory)
        started.increment(by: 0)
        handledOK.increment(by: 0)
    }

    func callStarted() {
        started.increment()
    }

    /// A call ended with the gRPC status `code` (0 is OK).
    func callHandled(code: Int) {
        guard code != 0 else { return handledOK.increment() }
        let counter = handledOther.withLock { made in
            if let counter = made[code] { return counter }
            let name = GRPCServerMetrics.codeName(code)
            let counter = CoreMetrics.Counter(label: "grpc_server_handled_total", dimensions: dimensions + [("grpc_code", name)],
                                              factory: factory)
            made[code] = counter
            return counter
        }
        counter.increment()
    }
}

/// The counters of one member's ports, in a registry of their own (the member's own registry is
/// made anew when the member restarts; the ports stay): gRPC calls, counted both ways a call is
/// served, the front server's unary KV calls (`unaryKV`) and the calls it relays to the full gRPC
/// server (`interceptor`); and /health's answers.
final class GRPCServerMetrics: Sendable {
    /// go-grpc-prometheus's grpc_type label.
    enum CallType: String, Sendable {
        case unary
        case clientStream = "client_stream"
        case serverStream = "server_stream"
        case bidiStream = "bidi_stream"

        init(_ type: MethodDescriptor.RPCType?) {
            self = switch type {
            case .clientStreaming?: .clientStream
            case .serverStreaming?: .serverStream
            case .bidirectionalStreaming?: .bidiStream
            default: .unary
            }
        }
    }

    let registry = PrometheusCollectorRegistry()
    /// Counters by path ("/etcdserverpb.KV/Put"): written once here, only read afterwards.
    private let byPath: [String: GRPCCallCounters]
    /// The counters of the unary KV calls the front server answers itself (`UnaryKVRoutes`), by
    /// path: its one lookup per call, which also tells it that it answers the call.
    let unaryKV: [String: GRPCCallCounters]
    /// The counters of a method outside `methods`, made on first use: one for all, so a client
    /// cannot make the registry grow.
    private let unknown = Locked<GRPCCallCounters?>(nil)
    private let factory: PrometheusMetricsFactory
    /// etcd_server_health_success / etcd_server_health_failures: /health answers.
    let healthSuccess: CoreMetrics.Counter
    let healthFailures: CoreMetrics.Counter

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
        var byPath: [String: GRPCCallCounters] = [:]
        for method in Self.methods {
            byPath["/" + method.fullyQualifiedMethod] = GRPCCallCounters(
                service: method.service.fullyQualifiedService, method: method.method, type: CallType(method.type), factory: factory)
        }
        self.byPath = byPath
        unaryKV = byPath.filter { UnaryKVRoutes.serves($0.key) }
        healthSuccess = CoreMetrics.Counter(label: "etcd_server_health_success", factory: factory)
        healthFailures = CoreMetrics.Counter(label: "etcd_server_health_failures", factory: factory)
        healthSuccess.increment(by: 0)
        healthFailures.increment(by: 0)
    }

    /// The counters of the call on `path` (":path" of the request).
    func counters(path: String) -> GRPCCallCounters {
        if let counters = byPath[path] { return counters }
        return unknown.withLock { made in
            if let made { return made }
            let counters = GRPCCallCounters(service: "unknown", method: "unknown", type: .unary, factory: factory)
            made = counters
            return counters
        }
    }

    /// Counts the calls the full gRPC server answers.
    var interceptor: some ServerInterceptor { CountingInterceptor(metrics: self) }

    /// go-grpc-prometheus's names of the gRPC status codes, by number.
    static func codeName(_ code: Int) -> String {
        let names = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
                     "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
                     "Internal", "Unavailable", "DataLoss", "Unauthenticated"]
        return names.indices.contains(code) ? names[code] : "Code(\(code))"
    }

    /// Every method of the API a member serves.
    static var methods: [MethodDescriptor] {
        Etcdserverpb_KV.Method.descriptors + Etcdserverpb_Watch.Method.descriptors + Etcdserverpb_Lease.Method.descriptors
            + Etcdserverpb_Cluster.Method.descriptors + Etcdserverpb_Maintenance.Method.descriptors
            + Etcdserverpb_Auth.Method.descriptors + V3lockpb_Lock.Method.descriptors + V3electionpb_Election.Method.descriptors
    }
}

/// Counts each call the full gRPC server runs when it starts and when it ends, with the status
/// it ends with (a stream's when its producer returns or throws).
private struct CountingInterceptor: ServerInterceptor {
    let metrics: GRPCServerMetrics

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let counters = metrics.counters(path: "/" + context.descriptor.fullyQualifiedMethod)
        counters.callStarted()
        var response: StreamingServerResponse<Output>
        do {
            response = try await next(request, context)
        } catch {
            counters.callHandled(code: Self.code(of: error))
            throw error
        }
        switch response.accepted {
        case .success(var contents):
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    let trailers = try await producer(writer)
                    counters.callHandled(code: 0)
                    return trailers
                } catch {
                    counters.callHandled(code: Self.code(of: error))
                    throw error
                }
            }
            response.accepted = .success(contents)
        case .failure(let error):
            counters.callHandled(code: error.code.rawValue)
        }
        return response
    }

    private static func code(of error: any Error) -> Int {
        if let error = error as? RPCError { return error.code.rawValue }
        if let error = error as? any RPCErrorConvertible { return error.rpcErrorCode.rawValue }
        return RPCError.Code.unknown.rawValue
    }
}
