import Foundation
import Locking
import NIOCore
import NIOHTTP1
import NIOPosix

/// Why a member's /metrics could not be read.
public enum MetricsScrapeError: Error, Sendable, Hashable, CustomStringConvertible {
    case connect(String)
    case timeout(millis: UInt64)
    case status(Int)
    case bodyTooLarge(limit: Int)
    case closed
    case busy
    case text(PrometheusTextError)
    case notEtcd

    public var description: String {
        switch self {
        case .connect(let why): "metrics: cannot connect: \(why)"
        case .timeout(let ms): "metrics: no answer within \(ms) ms"
        case .status(let code): "metrics: HTTP \(code)"
        case .bodyTooLarge(let limit): "metrics: body over \(limit) bytes"
        case .closed: "metrics: connection closed before the answer"
        case .busy: "metrics: a scrape is already in flight"
        case .text(let e): "metrics: \(e)"
        case .notEtcd: "metrics: \(EtcdMetricsError.notEtcd)"
        }
    }
}

/// GETs `/metrics` from one member's client URL (etcd serves it there over HTTP/1.1) on a
/// connection kept open between scrapes and opened again when it is lost. One scrape at a time.
final class MetricsScraper: Sendable {
    let host: String
    let port: Int
    private let group: any EventLoopGroup
    private let channel = Locked<(any Channel)?>(nil)
    private let closed = Locked(false)

    init(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.group = group
    }

    /// The body of one GET /metrics, within `timeout` (connecting included).
    func scrape(timeout: Duration) async throws(MetricsScrapeError) -> [UInt8] {
        let millis = UInt64(timeout.components.seconds) * 1000 + UInt64(timeout.components.attoseconds / 1_000_000_000_000_000)
        let channel: any Channel
        do {
            channel = try await connected(timeoutMillis: millis)
        } catch let error as MetricsScrapeError {
            throw error
        } catch {
            throw .connect(Self.reason(error))
        }
        let promise = channel.eventLoop.makePromise(of: [UInt8].self)
        let request = MetricsRequest(host: "\(host):\(port)", timeout: .milliseconds(Int64(millis)), promise: promise)
        channel.writeAndFlush(request, promise: nil)
        do {
            return try await promise.futureResult.get()
        } catch let error as MetricsScrapeError {
            if error != .busy { drop(channel) }
            throw error
        } catch {
            drop(channel)
            throw .connect(Self.reason(error))
        }
    }

    /// Closes the kept connection.
    func close() {
        closed.withLock { $0 = true }
        if let old = channel.withLock({ c in defer { c = nil }; return c }) { old.close(promise: nil) }
    }

    private func drop(_ failed: any Channel) {
        channel.withLock { c in if c === failed { c = nil } }
        failed.close(promise: nil)
    }

    private func connected(timeoutMillis: UInt64) async throws -> any Channel {
        if let c = channel.withLock({ $0 }), c.isActive { return c }
        let fresh = try await ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(timeoutMillis)))
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(MetricsClientHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
        let old = channel.withLock { c in defer { c = fresh }; return c }
        old?.close(promise: nil)
        if closed.withLock({ $0 }) {
            drop(fresh)
            throw MetricsScrapeError.closed
        }
        return fresh
    }

    /// A connect error as a person reads it: "connection refused" rather than NIO's dump.
    static func reason(_ error: any Error) -> String {
        if let e = error as? NIOConnectionError, let first = e.connectionErrors.first { return reason(first.error) }
        if let e = error as? IOError { return String(cString: strerror(e.errnoCode)) }
        if let e = error as? ChannelError, case .connectTimeout = e { return "connect timed out" }
        return "\(error)"
    }
}

/// A GET /metrics for `MetricsClientHandler`, answered through `promise`.
struct MetricsRequest: Sendable {
    var host: String
    var timeout: TimeAmount
    var promise: EventLoopPromise<[UInt8]>
}

/// Sends a `MetricsRequest` as GET /metrics and completes its promise with the body of a 200
/// answer, or fails it: another status, a body over `PrometheusText.bodyBytesMax`, no answer in
/// time, or the connection's end. Lives on the channel's event loop.
final class MetricsClientHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = MetricsRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<[UInt8]>?
    private var deadline: Scheduled<Void>?
    private var status = 0
    private var body: [UInt8] = []
    private var closeAfter = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard pending == nil else {
            request.promise.fail(MetricsScrapeError.busy)
            return
        }
        pending = request.promise
        status = 0
        body = []
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let millis = UInt64(max(request.timeout.nanoseconds / 1_000_000, 0))
        deadline = context.eventLoop.scheduleTask(in: request.timeout) {
            handler.value.finish(.failure(MetricsScrapeError.timeout(millis: millis)))
            loopContext.value.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/metrics")
        head.headers.add(name: "Host", value: request.host)
        head.headers.add(name: "Accept", value: "text/plain")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            closeAfter = !head.isKeepAlive
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > PrometheusText.bodyBytesMax {
                fail(.bodyTooLarge(limit: PrometheusText.bodyBytesMax), context: context)
            }
        case .body(var buffer):
            guard pending != nil else { return }
            guard body.count + buffer.readableBytes <= PrometheusText.bodyBytesMax else {
                fail(.bodyTooLarge(limit: PrometheusText.bodyBytesMax), context: context)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            if status == 200 {
                finish(.success(body))
            } else {
                finish(.failure(MetricsScrapeError.status(status)))
            }
            body = []
            if closeAfter { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(MetricsScrapeError.closed))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(MetricsScrapeError.connect(MetricsScraper.reason(error))))
        context.close(promise: nil)
    }

    private func fail(_ error: MetricsScrapeError, context: ChannelHandlerContext) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<[UInt8], any Error>) {
        deadline?.cancel()
        deadline = nil
        guard let promise = pending else { return }
        pending = nil
        promise.completeWith(result)
    }
}
