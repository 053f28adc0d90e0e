import NIOCore
import NIOHTTP1
import NIOPosix

/// The JSON gateway's HTTP/1.1 listener for one member.
struct GatewayListener: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let routes: GatewayRoutes
    let channel: NIOAsyncChannel<Connection, Never>

    /// Binds `host:port` (port 0: one the system chooses).
    static func bind(host: String, port: Int, routes: GatewayRoutes) async throws -> GatewayListener {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        return GatewayListener(routes: routes, channel: channel)
    }

    var port: Int? { channel.channel.localAddress?.port }

    /// Accepts connections until the task is cancelled.
    func serve() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await handle(connection) }
                }
            }
        }
    }

    private func handle(_ connection: Connection) async {
        // A connection that breaks or sends something malformed is closed; nothing else is affected.
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                    tooLarge = false
                case .body(var chunk):
                    if body.readableBytes + chunk.readableBytes > GatewayRoutes.bodyBytesMax {
                        tooLarge = true
                    } else {
                        body.writeBuffer(&chunk)
                    }
                case .end:
                    guard let request = head else { continue }
                    let reply = tooLarge
                        ? GatewayRoutes.error(code: .resourceExhausted, message: "request body larger than \(GatewayRoutes.bodyBytesMax) bytes")
                        : await routes.respond(method: request.method.rawValue, path: request.uri, body: Array(body.readableBytesView))
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: reply.status == 200 || reply.body.first == UInt8(ascii: "{")
                        ? "application/json" : "text/plain; charset=utf-8")
                    headers.add(name: "Content-Length", value: String(reply.body.count))
                    let keepAlive = request.isKeepAlive
                    if !keepAlive { headers.add(name: "Connection", value: "close") }
                    let status = HTTPResponseStatus(statusCode: reply.status)
                    try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: reply.body))))
                    try await outbound.write(.end(nil))
                    if !keepAlive { return }
                    head = nil
                }
            }
        }
    }
}
