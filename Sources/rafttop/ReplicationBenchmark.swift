import Raft

/// Three members in memory, wired directly to one another: the leader takes proposals in batches,
/// and every member persists, sends, applies and advances each `Ready` as an application would,
/// compacting its log as it goes. Measures Raft itself, with no disk or network.
struct ReplicationBenchmark {
    struct Result {
        var elapsed: Duration
        var readies = 0
        var appendMessages = 0
        var compactions = 0
    }

    let proposals: Int
    let payloadBytes: Int
    let batch: Int
    /// Batches proposed and not yet applied by the leader, at most: enough to keep every stage busy.
    let batchesInFlightMax = 8
    /// Entries applied between two snapshots and compactions of a member's log.
    let compactionInterval: UInt64 = 50_000

    private var members: [Member] = []

    private final class Member {
        let node: RawNode
        let storage: MemoryStorage
        var appliedIndex: UInt64 = 0
        var appliedProposals = 0
        var snapshotIndex: UInt64 = 0

        init(node: RawNode, storage: MemoryStorage) {
            self.node = node
            self.storage = storage
        }
    }

    init(proposals: Int, payloadBytes: Int, batch: Int) {
        self.proposals = proposals
        self.payloadBytes = payloadBytes
        self.batch = batch
    }

    mutating func run() throws -> Result {
        let ids: [NodeID] = [1, 2, 3]
        members = try ids.map { id in
            let storage = MemoryStorage()
            var config = Config(id: id)
            config.maxSizePerMsg = 1 << 20
            config.maxInflightMsgs = 256
            let node = try RawNode(config: config, storage: storage)
            try node.bootstrap(peers: ids)
            return Member(node: node, storage: storage)
        }
        let leader = members[0]
        var result = Result(elapsed: .zero)
        // A member campaigns only once it has applied the bootstrap configuration.
        pump(&result)
        try leader.node.campaign()
        pump(&result)
        precondition(leader.node.basicStatus.role == .leader, "member 1 did not become leader")
        result = Result(elapsed: .zero)

        var payload = [UInt8](repeating: 0x61, count: payloadBytes)
        var proposed = 0
        let clock = ContinuousClock()
        let start = clock.now
        while members.contains(where: { $0.appliedProposals < proposals }) {
            while proposed < proposals && proposed - leader.appliedProposals < batchesInFlightMax * batch {
                let count = min(batch, proposals - proposed)
                var entries: [[UInt8]] = []
                entries.reserveCapacity(count)
                for _ in 0..<count {
                    // A distinct payload per proposal, as clients would send.
                    withUnsafeBytes(of: UInt64(proposed).littleEndian) { payload.replaceSubrange(0..<8, with: $0) }
                    entries.append(payload)
                    proposed += 1
                }
                try leader.node.propose(batch: entries)
            }
            pump(&result)
        }
        result.elapsed = clock.now - start
        return result
    }

    /// Handles every member's `Ready`s and delivers the messages they send, until all are quiet.
    private func pump(_ result: inout Result) {
        var messages: [Message] = []
        repeat {
            for m in messages {
                try? members[Int(m.to - 1)].node.step(m)
            }
            messages = []
            for (i, member) in members.enumerated() {
                while member.node.hasReady {
                    let rd = member.node.ready()
                    if i == 0 {
                        result.readies += 1
                        result.appendMessages += rd.messages.count { $0.type == .app }
                    }
                    handle(rd, member: member, messages: &messages, result: &result)
                }
            }
        } while !messages.isEmpty
    }

    private func handle(_ rd: Ready, member: Member, messages: inout [Message], result: inout Result) {
        if let snapshot = rd.snapshot {
            try? member.storage.applySnapshot(snapshot)
            member.appliedIndex = snapshot.metadata.index
        }
        member.storage.append(rd.entries)
        if let hardState = rd.hardState { member.storage.setHardState(hardState) }
        messages.append(contentsOf: rd.messages)
        for entry in rd.committedEntries {
            if entry.type == .confChange, let change = try? ConfChange(decoding: entry.data) {
                member.node.applyConfChange(change)
            } else if !entry.data.isEmpty {
                member.appliedProposals += 1
            }
            member.appliedIndex = entry.index
        }
        member.node.advance(rd)
        if member.appliedIndex - member.snapshotIndex >= compactionInterval {
            _ = try? member.storage.createSnapshot(at: member.appliedIndex, confState: member.node.confState, data: [])
            try? member.storage.compact(upTo: member.appliedIndex)
            member.snapshotIndex = member.appliedIndex
            result.compactions += 1
        }
    }
}
