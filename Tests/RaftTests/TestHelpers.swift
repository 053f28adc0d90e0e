@testable import Raft

/// Entries at consecutive indexes from `start`, one per term in `terms` (etcd's test idiom).
func entries(terms: [UInt64], from start: UInt64 = 1) -> [Entry] {
    terms.enumerated().map { i, term in Entry(term: term, index: start + UInt64(i)) }
}

/// A storage whose configuration is `voters` and whose log holds one entry per term in `terms`.
func makeStorage(voters: [NodeID], terms: [UInt64] = []) -> MemoryStorage {
    let storage = MemoryStorage(voters: voters)
    storage.append(entries(terms: terms))
    return storage
}

/// A single member driven by hand, as etcd's newTestRaft: tests step messages into it and read
/// what it queued to send.
func makeRaft(
    id: NodeID, peers: [NodeID], election: Int = 10, heartbeat: Int = 1,
    storage: MemoryStorage? = nil, configure: (inout Config) -> Void = { _ in }
) -> Raft {
    var config = Config(id: id)
    config.electionTick = election
    config.heartbeatTick = heartbeat
    configure(&config)
    return try! Raft(config: config, storage: storage ?? MemoryStorage(voters: peers))
}

extension Raft {
    /// Removes and returns the messages queued for sending.
    func takeMessages() -> [Message] {
        defer { messages = [] }
        return messages
    }

    /// Ticks `times` times.
    func tick(times: Int) {
        for _ in 0..<times { tick() }
    }

    /// Makes this member leader of the next term by hand, with every peer's vote.
    func electByHand() {
        becomeCandidate()
        becomeLeader()
    }

    /// Persists the unstable entries into `storage` and advances, as the application would
    /// after a Ready: a leader's own copy of its entries counts from here on (etcd's test
    /// helper steps its msgsAfterAppend the same way).
    func persist(into storage: MemoryStorage) {
        let unstable = log.unstableEntries
        storage.append(unstable)
        if let last = unstable.last { log.stableTo(index: last.index, term: last.term) }
        if let ack = takeSelfAck() { try? step(ack) }
    }

    /// Every entry of the log, from the first index to the last.
    var allEntries: [Entry] {
        (try? log.slice(log.firstIndex, log.lastIndex + 1, maxSizeBytes: .max)) ?? []
    }
}

extension Array where Element == Entry {
    var terms: [UInt64] { map(\.term) }
    var indexes: [UInt64] { map(\.index) }
}

extension Array where Element == Message {
    func of(_ type: MessageType) -> [Message] { filter { $0.type == type } }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The answer of a follower that accepts every entry of `m`.
func acceptAndReply(_ m: Message) -> Message {
    Message(type: .appResp, to: m.from, from: m.to, term: m.term, index: m.index + UInt64(m.entries.count))
}

extension Raft {
    /// As a new leader, has every follower acknowledge the empty entry, so it commits and every
    /// follower moves to replicate state; persists and applies it and discards the messages.
    func commitNoopEntry(storage: MemoryStorage) throws {
        precondition(role == .leader, "commitNoopEntry needs a leader")
        broadcastAppend()
        for m in takeMessages() where m.type == .app && !m.entries.isEmpty {
            try step(acceptAndReply(m))
        }
        _ = takeMessages()
        persist(into: storage)
        let committed = log.nextCommittedEntries()
        log.appliedTo(log.committed)
        reduceUncommittedSize(committed)
    }
}
