import Locking
import NIOCore
import NIOHTTP1
import NIOPosix

/// The JSON gateway's HTTP/1.1 listener for one member, held to `GatewayLimits`.
struct GatewayListener: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let routes: GatewayRoutes
    let limits: GatewayLimits
    let channel: NIOAsyncChannel<Connection, Never>
    private let open = Locked(0)

    /// Binds `host:port` (port 0: one the system chooses).
    static func bind(host: String, port: Int, routes: GatewayRoutes, limits: GatewayLimits) async throws -> GatewayListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try addHandlers(to: channel.pipeline.syncOperations, limits: limits)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        return GatewayListener(routes: routes, limits: limits, channel: channel)
    }

    /// NIO's HTTP/1.1 server pipeline, with the decoder's header limits and `GatewayGuard`
    /// ahead of the pipelining handler, where it sees every request as it is parsed.
    private static func addHandlers(to pipeline: ChannelPipeline.SynchronousOperations, limits: GatewayLimits) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.headerBytesMax
        decoderLimits.maxHeaderFieldSize = limits.headerBytesMax
        decoderLimits.maxHeaderFieldCount = 100
        try pipeline.addHandler(HTTPResponseEncoder())
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)))
        try pipeline.addHandler(GatewayGuard(limits: limits))
        try pipeline.addHandler(HTTPServerPipelineHandler())
        try pipeline.addHandler(HTTPServerProtocolErrorHandler())
    }

    var port: Int? { channel.channel.localAddress?.port }

    /// Accepts connections until the task is cancelled.
    func serve() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { connections in
                for try await connection in connections {
                    let admitted = open.withLock { count in
                        guard count < limits.maxConnections else { return false }
                        count += 1
                        return true
                    }
                    guard admitted else {
                        // Closed through the async channel, which must finish its writer itself.
                        group.addTask { try? await connection.executeThenClose { _, _ in } }
                        continue
                    }
                    group.addTask {
                        await handle(connection)
                        open.withLock { $0 -= 1 }
                    }
                }
            }
        }
    }

    private func handle(_ connection: Connection) async {
        // A connection that breaks or sends something malformed is closed; nothing else is affected.
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                case .body(var chunk):
                    guard body.readableBytes + chunk.readableBytes <= limits.bodyBytesMax else {
                        // The rest is not read: the answer says why, and the connection ends.
                        let reply = GatewayRoutes.error(code: .resourceExhausted,
                                                        message: "request body larger than \(limits.bodyBytesMax) bytes")
                        try await write(reply, version: head?.version ?? .http1_1, keepAlive: false, to: outbound)
                        return
                    }
                    body.writeBuffer(&chunk)
                case .end:
                    guard let request = head else { continue }
                    let waits = GatewayRoutes.route(of: request.uri).map(GatewayRoutes.waitingRoutes.contains) ?? false
                    let respond = { @Sendable [routes, body] in
                        await routes.respond(method: request.method.rawValue, path: request.uri, body: Array(body.readableBytesView))
                    }
                    let reply = waits ? await Self.untilClosed(connection.channel, respond) : await respond()
                    // A call that waits closes its connection with its answer (see `untilClosed`).
                    let keepAlive = request.isKeepAlive && !waits
                    try await write(reply, version: request.version, keepAlive: keepAlive, to: outbound)
                    if !keepAlive { return }
                    head = nil
                }
            }
        }
    }

    /// Runs a call that waits (a Lock, a Campaign) until it answers or `channel` closes: a client
    /// that goes away cancels it, as a gRPC client's reset does. Each such call leaves a callback
    /// on the channel's close, so its connection closes after the answer.
    private static func untilClosed(_ channel: any Channel, _ call: @escaping @Sendable () async -> GatewayReply) async -> GatewayReply {
        let task = Task { await call() }
        channel.closeFuture.whenComplete { _ in task.cancel() }
        return await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
    }

    private func write(_ reply: GatewayReply, version: HTTPVersion, keepAlive: Bool,
                       to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        try await outbound.write(.head(reply.head(version: version, keepAlive: keepAlive)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: reply.body))))
        try await outbound.write(.end(nil))
    }
}

extension GatewayReply {
    /// The response head the answer goes out with.
    func head(version: HTTPVersion, keepAlive: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentTypeSent)
        headers.add(name: "Content-Length", value: String(body.count))
        if let allow { headers.add(name: "Allow", value: allow) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        return HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: headers)
    }
}
