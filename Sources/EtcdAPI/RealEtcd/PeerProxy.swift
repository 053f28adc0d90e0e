import Foundation
import Locking
import Raft
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy in front of one launched etcd member's peer port: every other member is told this
/// proxy's address as the member's peer URL, so all raft traffic to the member passes here and
/// can be delayed, broken or cut. etcd's raft requests name their sender (the X-PeerURLs and
/// X-Server-From headers), so cuts apply per pair of members, not only per destination.
final class PeerProxy: @unchecked Sendable {
    let destination: NodeID
    /// Where the proxy listens; the member's advertised peer URL.
    let port: Int
    private let targetPort: Int
    private let listener: Int32
    private let faults: Locked<PeerFaults>
    private let identify: @Sendable (String) -> NodeID?
    private let state = Locked<State>(State())
    private let acceptDone = DispatchSemaphore(value: 0)

    private struct State {
        var closed = false
        var relays: [ObjectIdentifier: PeerRelay] = [:]
    }

    /// Bytes of request head read at most to find the sender.
    static let headBytesMax = 16 * 1024

    /// Listens on a free loopback port; `identify` maps a request head to its sender.
    init(destination: NodeID, targetPort: Int, faults: Locked<PeerFaults>, identify: @escaping @Sendable (String) -> NodeID?) throws(RealEtcdError) {
        self.destination = destination
        self.targetPort = targetPort
        self.faults = faults
        self.identify = identify
        (listener, port) = try Sockets.listen()
    }

    func start() {
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "peer-proxy-\(destination)"
        thread.start()
    }

    /// Stops listening and closes every connection; nothing is left bound to `port` after.
    func close() {
        let relays = state.withLock { s in
            s.closed = true
            return Array(s.relays.values)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        acceptDone.wait()
        Glibc.close(listener)
        for relay in relays { relay.cut() }
    }

    /// Closes the connections whose sender is now cut from the destination.
    func enforceCuts() {
        let f = faults.withLock { $0 }
        let doomed = state.withLock { s in s.relays.values.filter { f.isCut(from: $0.sender, to: destination) } }
        for relay in doomed { relay.cut() }
    }

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            if state.withLock({ $0.closed }) {
                Glibc.close(client)
                return
            }
            let thread = Thread { [self] in serve(client) }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }

    /// Reads the request head to learn the sender, then relays both ways unless the link is cut.
    private func serve(_ client: Int32) {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while head.count < Self.headBytesMax, !Self.hasEndOfHead(head) {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            head.append(contentsOf: buffer[0..<n])
        }
        let sender = identify(String(decoding: head, as: UTF8.self))
        guard !head.isEmpty, !faults.withLock({ $0.isCut(from: sender, to: destination) }),
              let upstream = Sockets.connect(port: targetPort) else {
            Glibc.close(client)
            return
        }
        let relay = PeerRelay(downstream: client, upstream: upstream, sender: sender, faults: faults)
        let admitted = state.withLock { s in
            guard !s.closed else { return false }
            s.relays[ObjectIdentifier(relay)] = relay
            return true
        }
        guard admitted else {
            relay.cut()
            relay.closeSockets()
            return
        }
        relay.run(head: head) { [self] in
            _ = state.withLock { $0.relays.removeValue(forKey: ObjectIdentifier(relay)) }
        }
    }

    static func hasEndOfHead(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return true
        }
        return false
    }
}

/// One relayed connection: a reader and a writer thread each way, the writer holding every
/// chunk until its delay has passed, so a delay shifts the stream without slowing it.
final class PeerRelay: @unchecked Sendable {
    let sender: NodeID?
    private let downstream: Int32
    private let upstream: Int32
    private let faults: Locked<PeerFaults>
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queues: [[(dueNanos: UInt64, bytes: [UInt8])]] = [[], []]
    private var cutDown = false
    private var threadsRunning = 0

    init(downstream: Int32, upstream: Int32, sender: NodeID?, faults: Locked<PeerFaults>) {
        self.downstream = downstream
        self.upstream = upstream
        self.sender = sender
        self.faults = faults
    }

    /// Relays `head` (already read from downstream) and then both directions until either side
    /// closes or the relay is cut; `finished` runs once, after the sockets are closed.
    func run(head: [UInt8], finished: @escaping @Sendable () -> Void) {
        condition.lock()
        threadsRunning = 4
        condition.unlock()
        let done: @Sendable () -> Void = { [self] in
            condition.lock()
            threadsRunning -= 1
            let last = threadsRunning == 0
            condition.unlock()
            if last {
                closeSockets()
                finished()
            }
        }
        enqueue(head, direction: 0)
        for direction in 0..<2 {
            let reader = Thread { [self] in
                pump(from: direction == 0 ? downstream : upstream, direction: direction)
                done()
            }
            let writer = Thread { [self] in
                drain(to: direction == 0 ? upstream : downstream, direction: direction)
                done()
            }
            for thread in [reader, writer] {
                thread.stackSize = 256 * 1024
                thread.start()
            }
        }
    }

    /// Ends the relay: both sockets shut down, queued bytes dropped.
    func cut() {
        condition.lock()
        cutDown = true
        queues = [[], []]
        condition.broadcast()
        condition.unlock()
        shutdown(downstream, Int32(SHUT_RDWR))
        shutdown(upstream, Int32(SHUT_RDWR))
    }

    func closeSockets() {
        Glibc.close(downstream)
        Glibc.close(upstream)
    }

    private func pump(from socket: Int32, direction: Int) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = read(socket, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let lossPercent = faults.withLock { $0.lossPercent }
            if lossPercent > 0 && Double.random(in: 0..<100) < lossPercent { break }
            enqueue(Array(buffer[0..<n]), direction: direction)
        }
        cut()
    }

    private func enqueue(_ bytes: [UInt8], direction: Int) {
        let latencyMillis = faults.withLock { $0.latencyMillis }
        let due = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, latencyMillis) * 1_000_000)
        condition.lock()
        if !cutDown { queues[direction].append((due, bytes)) }
        condition.broadcast()
        condition.unlock()
    }

    private func drain(to socket: Int32, direction: Int) {
        while true {
            condition.lock()
            while queues[direction].isEmpty && !cutDown { condition.wait() }
            if cutDown {
                condition.unlock()
                return
            }
            let (due, bytes) = queues[direction].removeFirst()
            condition.unlock()
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now { usleep(UInt32(min((due - now) / 1000, 10_000_000))) }
            if !Sockets.writeAll(socket, bytes) {
                cut()
                return
            }
        }
    }
}
