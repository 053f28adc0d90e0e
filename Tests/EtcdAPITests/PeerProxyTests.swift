import Foundation
import Locking
import Raft
import Testing
@testable import EtcdAPI
#if canImport(Glibc)
import Glibc
#endif

/// The peer proxy on its own, in front of an echo server: it relays both ways, tells the sender
/// from the request head, refuses and closes cut links, and a lost chunk cuts its connection.
@Suite struct PeerProxyTests {
    /// Echoes whatever each connection sends until the listener is closed.
    final class EchoServer: @unchecked Sendable {
        let listener: Int32
        let port: Int

        init() throws {
            (listener, port) = try Sockets.listen()
            let listener = listener
            Thread.detachNewThread {
                while true {
                    let fd = accept(listener, nil, nil)
                    if fd < 0 { return }
                    Thread.detachNewThread {
                        var buffer = [UInt8](repeating: 0, count: 4096)
                        while true {
                            let n = Glibc.read(fd, &buffer, buffer.count)
                            if n <= 0 || !Sockets.writeAll(fd, Array(buffer[0..<n])) { break }
                        }
                        Glibc.close(fd)
                    }
                }
            }
        }

        func close() {
            shutdown(listener, Int32(SHUT_RDWR))
            Glibc.close(listener)
        }
    }

    static let head = Array("POST /raft HTTP/1.1\r\nX-PeerURLs: http://127.0.0.1:1\r\n\r\n".utf8)

    /// A connection to the proxy that gives up reading after 5 s.
    static func connect(_ proxy: PeerProxy) throws -> Int32 {
        let fd = try #require(Sockets.connect(port: proxy.port))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Reads until `count` bytes came or the connection ended; what came.
    static func read(_ fd: Int32, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while out.count < count {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    func withProxy(_ body: (PeerProxy, Locked<PeerFaults>) throws -> Void) throws {
        let echo = try EchoServer()
        defer { echo.close() }
        let faults = Locked(PeerFaults())
        let proxy = try PeerProxy(destination: 2, targetPort: echo.port, faults: faults) { head in
            LaunchedEtcdCluster.sender(in: head, byPort: [1: 1], byMemberID: [:])
        }
        proxy.start()
        defer { proxy.close() }
        try body(proxy, faults)
    }

    @Test func relaysBothWays() throws {
        try withProxy { proxy, _ in
            let fd = try Self.connect(proxy)
            defer { close(fd) }
            #expect(Sockets.writeAll(fd, Self.head + Array("hello".utf8)))
            #expect(Self.read(fd, count: Self.head.count + 5) == Self.head + Array("hello".utf8))
        }
    }

    @Test func aCutLinkIsClosedAndRefusedAndHealOpensIt() throws {
        try withProxy { proxy, faults in
            let open = try Self.connect(proxy)
            defer { close(open) }
            #expect(Sockets.writeAll(open, Self.head))
            #expect(Self.read(open, count: Self.head.count).count == Self.head.count)
            faults.withLock { $0.cut(1, 2) }
            proxy.enforceCuts()
            #expect(Self.read(open, count: 1).isEmpty, "the open connection is closed")

            let refused = try Self.connect(proxy)
            defer { close(refused) }
            _ = Sockets.writeAll(refused, Self.head)
            #expect(Self.read(refused, count: 1).isEmpty, "a new connection from the cut sender is closed")

            faults.withLock { $0.heal() }
            let healed = try Self.connect(proxy)
            defer { close(healed) }
            #expect(Sockets.writeAll(healed, Self.head))
            #expect(Self.read(healed, count: Self.head.count).count == Self.head.count)
        }
    }

    @Test func aCutBetweenOtherMembersLeavesThisSenderAlone() throws {
        try withProxy { proxy, faults in
            faults.withLock { $0.cut(2, 3) }
            let fd = try Self.connect(proxy)
            defer { close(fd) }
            #expect(Sockets.writeAll(fd, Self.head))
            #expect(Self.read(fd, count: Self.head.count).count == Self.head.count)
        }
    }

    @Test func aLostChunkCutsTheConnection() throws {
        try withProxy { proxy, faults in
            let fd = try Self.connect(proxy)
            defer { close(fd) }
            #expect(Sockets.writeAll(fd, Self.head))
            #expect(Self.read(fd, count: Self.head.count).count == Self.head.count)
            faults.withLock { $0.lossPercent = 100 }
            _ = Sockets.writeAll(fd, Array("lost".utf8))
            #expect(Self.read(fd, count: 1).isEmpty)
        }
    }

    @Test func closingLeavesThePortRefusing() throws {
        let echo = try EchoServer()
        defer { echo.close() }
        let proxy = try PeerProxy(destination: 1, targetPort: echo.port, faults: Locked(PeerFaults())) { _ in nil }
        proxy.start()
        let fd = try Self.connect(proxy)
        defer { close(fd) }
        #expect(Sockets.writeAll(fd, Self.head))
        #expect(Self.read(fd, count: Self.head.count).count == Self.head.count)
        proxy.close()
        #expect(!Sockets.accepts(port: proxy.port))
        #expect(Self.read(fd, count: 1).isEmpty, "its connections are closed too")
    }
}
