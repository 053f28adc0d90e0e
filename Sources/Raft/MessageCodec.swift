import ByteCoding
/// The bytes of a Raft message between members:
///
///     version 1, type 1, to, from, term, logTerm, index, commit (8 each), reject 1,
///     rejectHint 8, context (length-prefixed),
///     entry count 8, then each entry: term 8, index 8, type 1, data (length-prefixed),
///     snapshot flag 1, then if set: index 8, term 8, voter count 8, voters (8 each),
///     learner count 8, learners (8 each), data (length-prefixed)
///
/// The version is 2 since learners; version 1, with no learner count, still decodes.
///
/// Little-endian, as `ByteWriter` writes. Decoding bounds every count by `maxEntries` and
/// `maxVoters` (learners too) and by the bytes that remain, so a damaged or hostile message is a
/// `DecodingError` naming the offset, never a crash or a huge allocation.
extension Message {
    static let encodingVersion: UInt8 = 2
    /// The encoding before learners, whose snapshots carry voters only.
    static let encodingVersionWithoutLearners: UInt8 = 1
    /// More entries than this in one message are refused (a MsgApp is bounded by
    /// maxSizePerMsg, which allows far fewer).
    public static let maxEntries = 1 << 20
    public static let maxVoters = 1 << 10
    /// The fewest bytes an encoded entry takes: term, index, type and an empty data length.
    static let entryBytesMin = 8 + 8 + 1 + 4

    public func encoded() -> [UInt8] {
        var out = ByteWriter(capacity: 80 + context.count + entries.reduce(0) { $0 + $1.sizeBytes + 4 }
                             + (snapshot?.data.count ?? 0))
        out.uint8(Self.encodingVersion)
        out.uint8(type.rawValue)
        for field in [to, from, term, logTerm, index, commit] { out.uint64(field) }
        out.bool(reject)
        out.uint64(rejectHint)
        out.lengthPrefixed(context)
        out.uint64(UInt64(entries.count))
        for entry in entries {
            out.uint64(entry.term)
            out.uint64(entry.index)
            out.uint8(entry.type.rawValue)
            out.lengthPrefixed(entry.data)
        }
        out.bool(snapshot != nil)
        if let snapshot {
            out.uint64(snapshot.metadata.index)
            out.uint64(snapshot.metadata.term)
            out.uint64(UInt64(snapshot.metadata.confState.voters.count))
            for voter in snapshot.metadata.confState.voters { out.uint64(voter) }
            out.uint64(UInt64(snapshot.metadata.confState.learners.count))
            for learner in snapshot.metadata.confState.learners { out.uint64(learner) }
            out.lengthPrefixed(snapshot.data)
        }
        return out.buffer
    }

    /// Decodes what `encoded()` wrote.
    public init(decoding data: [UInt8]) throws(DecodingError) {
        var input = ByteReader(data)
        let version = try input.uint8()
        guard version == Self.encodingVersion || version == Self.encodingVersionWithoutLearners else {
            throw DecodingError(offset: 0, reason: "unknown message version \(version)")
        }
        let rawType = try input.uint8()
        guard let type = MessageType(rawValue: rawType) else {
            throw DecodingError(offset: 1, reason: "unknown message type \(rawType)")
        }
        var message = Message(type: type, to: try input.uint64(), from: try input.uint64(), term: try input.uint64(),
                              logTerm: try input.uint64(), index: try input.uint64(), commit: try input.uint64())
        message.reject = try input.bool()
        message.rejectHint = try input.uint64()
        message.context = try input.lengthPrefixed()
        let entryCount = try Self.count(&input, of: "entries", limit: Self.maxEntries, bytesEach: Self.entryBytesMin)
        message.entries.reserveCapacity(entryCount)
        for _ in 0..<entryCount {
            let term = try input.uint64()
            let index = try input.uint64()
            let rawEntryType = try input.uint8()
            guard let entryType = EntryType(rawValue: rawEntryType) else {
                throw DecodingError(offset: input.offset - 1, reason: "unknown entry type \(rawEntryType)")
            }
            message.entries.append(Entry(term: term, index: index, type: entryType, data: try input.lengthPrefixed()))
        }
        if try input.bool() {
            let index = try input.uint64()
            let term = try input.uint64()
            let voterCount = try Self.count(&input, of: "voters", limit: Self.maxVoters, bytesEach: 8)
            var voters: [NodeID] = []
            voters.reserveCapacity(voterCount)
            for _ in 0..<voterCount { voters.append(try input.uint64()) }
            var learners: [NodeID] = []
            if version != Self.encodingVersionWithoutLearners {
                let learnerCount = try Self.count(&input, of: "learners", limit: Self.maxVoters, bytesEach: 8)
                learners.reserveCapacity(learnerCount)
                for _ in 0..<learnerCount { learners.append(try input.uint64()) }
            }
            let metadata = SnapshotMetadata(index: index, term: term, confState: ConfState(voters: voters, learners: learners))
            message.snapshot = Snapshot(metadata: metadata, data: try input.lengthPrefixed())
        }
        try input.expectEnd()
        self = message
    }

    /// A count, checked against its limit and against the bytes left for that many items.
    private static func count(_ input: inout ByteReader, of what: String, limit: Int,
                              bytesEach: Int) throws(DecodingError) -> Int {
        let n = try input.uint64()
        guard n <= UInt64(limit) else {
            throw DecodingError(offset: input.offset - 8, reason: "\(n) \(what), more than the limit of \(limit)")
        }
        guard Int(n) * bytesEach <= input.remaining else {
            throw DecodingError(offset: input.offset - 8, reason: "\(n) \(what) cannot fit in the \(input.remaining) bytes left")
        }
        return Int(n)
    }
}
