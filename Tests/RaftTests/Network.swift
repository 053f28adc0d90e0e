@testable import Raft

/// A member under test: its node and the storage its persisted state lives in.
final class TestMember {
    private(set) var node: RawNode
    let storage: MemoryStorage
    let config: Config
    /// Every entry this member has applied, in order (since its last snapshot or restart).
    var applied: [Entry] = []
    /// Every read state its Readys handed out, in order.
    var readStates: [ReadState] = []

    init(config: Config, storage: MemoryStorage) {
        self.config = config
        self.storage = storage
        node = try! RawNode(config: config, storage: storage)
    }

    /// A crash and restart: a new node over what was persisted, forgetting everything else.
    func restart() {
        var config = config
        config.applied = 0
        node = try! RawNode(config: config, storage: storage)
        applied = []
    }

    var raft: Raft { node.raft }
}

/// An in-memory message router between members, as etcd's raft tests use: it can drop
/// messages between pairs, cut links, isolate members and ignore message types.
/// Everything is delivered by explicit calls, so a test reads as a script.
final class Network {
    var members: [NodeID: TestMember] = [:]
    /// Probability (0...1) that a message from -> to is dropped; 1 cuts the link.
    private var dropRates: [Connection: Double] = [:]
    private var ignored: Set<MessageType> = []
    /// Messages sent but not yet delivered.
    var inFlight: [Message] = []
    private var random = SplitMix64(seed: 1)

    struct Connection: Hashable {
        let from: NodeID
        let to: NodeID
    }

    /// A group of `ids` whose configuration is already `ids` (a snapshot at index 0 holds it).
    convenience init(ids: [NodeID], configure: (inout Config) -> Void = { _ in }) {
        self.init(storages: Dictionary(uniqueKeysWithValues: ids.map { ($0, MemoryStorage(voters: ids)) }),
                  configure: configure)
    }

    /// Members over storages prepared by the test (with entries, hard state, a snapshot).
    init(storages: [NodeID: MemoryStorage], configure: (inout Config) -> Void = { _ in }) {
        for (id, storage) in storages {
            add(id, storage: storage, configure: configure)
        }
    }

    /// A brand-new group started with `RawNode.bootstrap(peers:)`: its configuration is in the log.
    static func bootstrapped(ids: [NodeID], configure: (inout Config) -> Void = { _ in }) -> Network {
        let net = Network(storages: [:])
        for id in ids {
            net.add(id, storage: MemoryStorage(), configure: configure)
            try! net[id].node.bootstrap(peers: ids)
        }
        net.collect()
        return net
    }

    /// Starts member `id` over `storage` (empty for a member that learns everything from the leader).
    func add(_ id: NodeID, storage: MemoryStorage = MemoryStorage(), configure: (inout Config) -> Void = { _ in }) {
        var config = Config(id: id)
        configure(&config)
        members[id] = TestMember(config: config, storage: storage)
    }

    /// Crashes member `id` and restarts it from its storage; messages to it in flight are lost.
    func restart(_ id: NodeID) {
        inFlight.removeAll { $0.to == id }
        members[id]!.restart()
    }

    /// Snapshots member `id`'s applied state at `index` and drops the entries up to it.
    func compact(_ id: NodeID, upTo index: UInt64) {
        let member = members[id]!
        try! member.storage.createSnapshot(at: index, confState: member.node.confState, data: Array("snap@\(index)".utf8))
        try! member.storage.compact(upTo: index)
    }

    subscript(id: NodeID) -> TestMember { members[id]! }

    /// Persists, applies and collects messages from every member with a Ready, in id order.
    func collect() {
        for id in members.keys.sorted() {
            let member = members[id]!
            while member.node.hasReady {
                let rd = member.node.ready()
                persist(rd, into: member)
                inFlight.append(contentsOf: rd.messages)
                member.node.advance(rd)
            }
        }
    }

    func persist(_ rd: Ready, into member: TestMember) {
        member.readStates += rd.readStates
        if let snapshot = rd.snapshot {
            try! member.storage.applySnapshot(snapshot)
            member.applied.removeAll()
        }
        member.storage.append(rd.entries)
        if let hs = rd.hardState { member.storage.setHardState(hs) }
        for entry in rd.committedEntries {
            if entry.type == .confChange, let change = try? ConfChange(decoding: entry.data) {
                member.node.applyConfChange(change)
            }
            member.applied.append(entry)
        }
    }

    /// Removes and returns the messages in flight that match `predicate`, for a test to deliver
    /// (or lose) them by hand.
    func take(where predicate: (Message) -> Bool) -> [Message] {
        let taken = inFlight.filter(predicate)
        inFlight.removeAll(where: predicate)
        return taken
    }

    /// Delivers messages (and those they cause) until the network is quiet.
    func stabilize(maxRounds: Int = 1000) {
        collect()
        var rounds = 0
        while !inFlight.isEmpty && rounds < maxRounds {
            deliverAll()
            collect()
            rounds += 1
        }
    }

    /// Delivers every message now in flight once, applying drops.
    func deliverAll() {
        let batch = inFlight
        inFlight = []
        for m in batch {
            deliver(m)
        }
    }

    func deliver(_ m: Message) {
        if ignored.contains(m.type) { return }
        let rate = dropRates[Connection(from: m.from, to: m.to)] ?? 0
        if rate >= 1 || (rate > 0 && Double.random(in: 0..<1, using: &random) < rate) { return }
        guard let member = members[m.to] else { return }
        try? member.node.step(m)
    }

    /// Steps `m` into its recipient and stabilizes.
    func send(_ m: Message) {
        deliver(m)
        stabilize()
    }

    func campaign(_ id: NodeID) {
        try? members[id]!.node.campaign()
        stabilize()
    }

    func propose(_ id: NodeID, _ text: String) throws(RaftError) {
        try members[id]!.node.propose(Array(text.utf8))
        stabilize()
    }

    func tick(_ id: NodeID, times: Int = 1) {
        for _ in 0..<times { members[id]!.node.tick() }
    }

    /// Ticks member `id` `times` times, stabilizing the network after each tick.
    func tickAndStabilize(_ id: NodeID, times: Int = 1) {
        for _ in 0..<times {
            members[id]!.node.tick()
            stabilize()
        }
    }

    /// The entries member `id` has persisted, from its first index on.
    func storedEntries(_ id: NodeID) -> [Entry] {
        let storage = members[id]!.storage
        guard storage.lastIndex() >= storage.firstIndex() else { return [] }
        return try! storage.entries(storage.firstIndex(), storage.lastIndex() + 1, maxSizeBytes: .max)
    }

    func drop(from: NodeID, to: NodeID, rate: Double) {
        dropRates[Connection(from: from, to: to)] = rate
    }

    func cut(_ a: NodeID, _ b: NodeID) {
        drop(from: a, to: b, rate: 1)
        drop(from: b, to: a, rate: 1)
    }

    /// Cuts `id` off from every other member.
    func isolate(_ id: NodeID) {
        for other in members.keys where other != id {
            cut(id, other)
        }
    }

    /// Splits the members into `groups` that cannot reach each other.
    func partition(_ groups: [[NodeID]]) {
        for (i, group) in groups.enumerated() {
            for other in groups[(i + 1)...] {
                for a in group {
                    for b in other { cut(a, b) }
                }
            }
        }
    }

    /// Delivers the messages in flight that match `predicate`, leaving the others in flight.
    func deliver(where predicate: (Message) -> Bool) {
        take(where: predicate).forEach(deliver)
    }

    func recover() {
        dropRates = [:]
        ignored = []
    }

    func ignore(_ type: MessageType) {
        ignored.insert(type)
    }

    /// The one member that believes it leads in the highest term, if any.
    var leader: NodeID? {
        members.values.filter { $0.raft.role == .leader }.max { $0.raft.term < $1.raft.term }?.raft.id
    }
}
