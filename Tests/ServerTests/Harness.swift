import MVCC
import Raft
import Synchronization
@testable import Server

/// Collects messages for the harness to deliver by hand.
final class QueueTransport: Transport {
    let queue = Mutex<[Message]>([])
    func send(_ messages: [Message]) { queue.withLock { $0.append(contentsOf: messages) } }
    func take() -> [Message] { queue.withLock { q in defer { q = [] }; return q } }
}

/// Three members stepped on one thread: deliver, raft cycles, apply cycles, until quiet.
final class MemberGroup {
    let clock = ManualClock()
    let transport = QueueTransport()
    var members: [NodeID: Member] = [:]
    var persistence: [NodeID: any RaftPersistence] = [:]
    var down: Set<NodeID> = []
    let ids: [NodeID]

    /// The fewest a member may be configured with: BoringSSL built for debugging hashes slowly.
    static let passwordHashRounds = PasswordHash.configurableRounds.lowerBound

    /// What each member saves to, made from its id and the group's clock.
    struct Disks: Sendable {
        let make: @Sendable (NodeID, ManualClock) -> any RaftPersistence

        static let memory = Disks { _, _ in MemoryPersistence() }
    }

    init(ids: [NodeID] = [1, 2, 3], disks: Disks = .memory, configure: (inout MemberConfig) -> Void = { _ in }) throws {
        self.ids = ids
        for id in ids {
            var config = MemberConfig(id: id, peers: ids)
            config.randomSeed = id
            config.passwordHashRounds = Self.passwordHashRounds
            configure(&config)
            let p = disks.make(id, clock)
            persistence[id] = p
            members[id] = try Member(config: config, clock: clock, transport: transport, persistence: p)
        }
    }

    subscript(id: NodeID) -> Member { members[id]! }

    func restart(_ id: NodeID, configure: (inout MemberConfig) -> Void = { _ in }) throws {
        members[id]!.stop()
        var config = MemberConfig(id: id, peers: ids)
        config.randomSeed = id &+ 100
        config.passwordHashRounds = Self.passwordHashRounds
        configure(&config)
        members[id] = try Member(config: config, clock: clock, transport: transport, persistence: persistence[id]!)
        down.remove(id)
    }

    func settle(maxRounds: Int = 200) throws {
        for _ in 0..<maxRounds {
            var busy = false
            for id in ids where !down.contains(id) {
                busy = try members[id]!.raftCycle() || busy
                busy = try members[id]!.applyCycle() || busy
            }
            let messages = transport.take()
            for m in messages where !down.contains(m.to) && !down.contains(m.from) {
                members[m.to]?.receive(m)
            }
            if !busy && messages.isEmpty { return }
        }
    }

    /// Ticks every live member `n` times, settling after each, with simulated time moving.
    func tick(_ n: Int = 1) throws {
        for _ in 0..<n {
            clock.advance(byNanos: 100_000_000)
            for id in ids where !down.contains(id) { members[id]!.tick() }
            try settle()
        }
    }

    func electLeader() throws -> NodeID {
        for _ in 0..<100 {
            if let lead = leader { return lead }
            try tick()
        }
        throw HarnessError.noLeader
    }

    var leader: NodeID? {
        ids.first { !down.contains($0) && members[$0]!.status().raft.role == .leader }
    }

    enum HarnessError: Error { case noLeader, noAnswer }
}

/// Holds a request's outcome once its completion runs.
final class Outcome: Sendable {
    let value = Mutex<Result<Response, ServerError>?>(nil)
    var completion: Completion { { result in self.value.withLock { $0 = result } } }
    var result: Result<Response, ServerError>? { value.withLock { $0 } }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
