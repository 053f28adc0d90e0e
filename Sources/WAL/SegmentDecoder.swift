#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ByteCoding
import Raft

/// Decodes the records of one segment file held in memory, checking framing and the rolling
/// CRC, and tells a torn tail (what a crash leaves of unsynced writes) from corruption.
///
/// A segment's records end where the file does or where zeros run to its end: a preallocated
/// segment is zeros after its last record (etcd's decoder stops at a zero length too). A
/// non-last segment cut short this way cannot hide: the next segment's CRC record carries the
/// CRC of the last record before the cut.
///
/// A crash can only damage the end of the last segment, after everything synced: the file
/// is cut anywhere, or zero-filled from a sector boundary to its end. So a damaged record is
/// a torn tail only in the last segment, only if the damage is one of those shapes, and only
/// if no valid record follows it. Anything else is corruption.
struct SegmentDecoder {
    enum Step {
        case record(WALRecord, offset: Int)
        /// Every byte decoded.
        case end
        /// The records from `offset` on are a torn write; everything before is whole.
        case torn(offset: Int, reason: String)
        case corrupt(offset: Int, problem: WALCorruption)
    }

    /// The segment's bytes; the caller keeps them alive while the decoder is used.
    let bytes: UnsafeRawBufferPointer
    let isLastSegment: Bool
    private(set) var offset = 0
    /// The CRC after the last whole record; nil until the first crc record when nothing came before.
    private(set) var crc: UInt32?

    init(bytes: UnsafeRawBufferPointer, isLastSegment: Bool, carriedCRC: UInt32?) {
        self.bytes = bytes
        self.isLastSegment = isLastSegment
        self.crc = carriedCRC
    }

    mutating func next() -> Step {
        let start = offset
        let remaining = bytes.count - start
        if remaining == 0 { return .end }
        if remaining < Frame.lengthBytes {
            if start > 0 && bytes[start...].allSatisfy({ $0 == 0 }) { return .end }
            return cutShort(at: start, neededBytes: Frame.lengthBytes, storedCRC: nil)
        }
        let field = bytes.loadLittleEndian(at: start, as: UInt64.self)
        if field == 0 {
            if let nonZero = firstNonZero(from: start) {
                return .corrupt(offset: start, problem: .zeroLengthBeforeData(nonZeroOffset: nonZero))
            }
            // Zeros from a record boundary to the end: the unwritten (preallocated) rest of the
            // segment, or unsynced records lost whole. A segment holds at least its CRC record.
            guard start > 0 else {
                return .corrupt(offset: start, problem: .zeroLengthBeforeData(nonZeroOffset: bytes.count))
            }
            return .end
        }
        guard let (bodyBytes, paddingBytes) = Frame.parseLengthField(field) else {
            return .corrupt(offset: start, problem: .invalidLength(field: field))
        }
        let bodyStart = start + Frame.lengthBytes
        let frameEnd = bodyStart + bodyBytes + paddingBytes
        if frameEnd > bytes.count {
            let stored = remaining >= Frame.lengthBytes + Frame.headerBytes
                ? bytes.loadLittleEndian(at: bodyStart + 1, as: UInt32.self) : nil
            return cutShort(at: start, neededBytes: frameEnd - start, storedCRC: stored)
        }
        // A crash leaves zeros or nothing, never other bytes, in padding.
        if bytes[(bodyStart + bodyBytes)..<frameEnd].contains(where: { $0 != 0 }) {
            return .corrupt(offset: start, problem: .nonZeroPadding)
        }
        let type = bytes[bodyStart]
        let stored = bytes.loadLittleEndian(at: bodyStart + 1, as: UInt32.self)
        let withType = CRC32C.update(crc ?? 0, UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<bodyStart + 1]))
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(bodyStart + Frame.headerBytes)..<(bodyStart + bodyBytes)])
        let computed = CRC32C.update(withType, payload)
        if type == RecordType.crc.rawValue {
            guard bodyBytes == Frame.headerBytes else {
                return damaged(.malformedPayload(.crc, payloadBytes: bodyBytes - Frame.headerBytes), at: start, bodyEnd: bodyStart + bodyBytes, storedCRC: stored)
            }
            if let expected = crc, expected != stored {
                return .corrupt(offset: start, problem: .crcChainBroken(carried: stored, expected: expected))
            }
            crc = stored
            offset = frameEnd
            return .record(.crc(stored), offset: start)
        }
        if start == 0 {
            return .corrupt(offset: start, problem: .missingCRCRecord(foundType: type))
        }
        guard computed == stored else {
            return damaged(.crcMismatch(type: type, computed: computed, stored: stored), at: start, bodyEnd: bodyStart + bodyBytes, storedCRC: stored)
        }
        let payloadStart = bodyStart + Frame.headerBytes
        switch decodePayload(type: type, from: payloadStart, to: bodyStart + bodyBytes) {
        case .success(let record):
            crc = computed
            offset = frameEnd
            return .record(record, offset: start)
        case .failure(let problem):
            // The CRC matched, so the writer wrote these bytes: no crash explains them.
            return .corrupt(offset: start, problem: problem)
        }
    }

    private func decodePayload(type: UInt8, from start: Int, to end: Int) -> Result<WALRecord, WALCorruption> {
        let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        // Fixed fields at fixed offsets, loaded straight from the segment: replay decodes
        // every record through here.
        func field(_ n: Int) -> UInt64 { payload.loadLittleEndian(at: 8 * n, as: UInt64.self) }
        switch RecordType(rawValue: type) {
        case .entry:
            guard payload.count >= Frame.entryHeaderBytes else {
                return .failure(.malformedPayload(.entry, payloadBytes: payload.count))
            }
            let rawType = payload[16]
            guard let entryType = EntryType(rawValue: rawType) else { return .failure(.unknownEntryType(rawType)) }
            let data = Array(UnsafeRawBufferPointer(rebasing: payload[Frame.entryHeaderBytes...]))
            return .success(.entry(Entry(term: field(0), index: field(1), type: entryType, data: data)))
        case .hardState:
            guard payload.count == Frame.hardStatePayloadBytes else {
                return .failure(.malformedPayload(.hardState, payloadBytes: payload.count))
            }
            return .success(.hardState(HardState(term: field(0), vote: field(1), commit: field(2))))
        case .metadata:
            guard payload.count == Frame.metadataPayloadBytes else {
                return .failure(.malformedPayload(.metadata, payloadBytes: payload.count))
            }
            return .success(.metadata(WALMetadata(memberID: field(0), clusterID: field(1))))
        case .snapshot:
            guard payload.count == Frame.snapshotPayloadBytes else {
                return .failure(.malformedPayload(.snapshot, payloadBytes: payload.count))
            }
            return .success(.snapshot(WALSnapshot(index: field(0), term: field(1))))
        case .crc, nil:
            return .failure(.unknownRecordType(type))
        }
    }

    /// Only the end of the last segment is ever unsynced; its first records were synced
    /// before the segment was renamed into place.
    private func canBeTorn(at start: Int) -> Bool {
        isLastSegment && start > 0
    }

    /// The file ends inside the record at `start`: a torn write, unless this is not the last
    /// segment or a valid record follows (then the length field is what is damaged).
    private func cutShort(at start: Int, neededBytes: Int, storedCRC: UInt32?) -> Step {
        let available = bytes.count - start
        guard canBeTorn(at: start) else {
            return .corrupt(offset: start, problem: .truncatedRecord(neededBytes: neededBytes, availableBytes: available))
        }
        if let storedCRC, let next = validRecord(after: start + Frame.lengthBytes, chainedFrom: storedCRC) {
            return .corrupt(offset: start, problem: .lengthOverrunsValidRecord(nextRecordOffset: next))
        }
        return .torn(offset: start, reason: "record of \(neededBytes) bytes cut short: the file ends \(available) bytes into it")
    }

    /// A whole record whose contents do not check out: a torn write if it was zero-filled
    /// from a sector boundary inside its body to the end of the file and no valid record
    /// follows, corruption otherwise.
    private func damaged(_ problem: WALCorruption, at start: Int, bodyEnd: Int, storedCRC: UInt32) -> Step {
        guard canBeTorn(at: start) else { return .corrupt(offset: start, problem: problem) }
        // A damaged length can make a record swallow the ones after it.
        if validRecord(after: start + Frame.lengthBytes, chainedFrom: storedCRC) != nil {
            return .corrupt(offset: start, problem: problem)
        }
        let zeroRunStart = lastNonZero(notBelow: start).map { $0 + 1 } ?? start
        let sector = SimulatedDisk.sectorBytes
        let firstZeroSector = (max(zeroRunStart, start + Frame.lengthBytes) + sector - 1) / sector * sector
        guard firstZeroSector < bodyEnd else { return .corrupt(offset: start, problem: problem) }
        return .torn(offset: start, reason: "\(problem); zero-filled from byte \(firstZeroSector) to the end of the file")
    }

    /// The offset of a record after `from` whose CRC continues from `seed`, if there is one.
    private func validRecord(after from: Int, chainedFrom seed: UInt32) -> Int? {
        var candidate = (from + Frame.alignment - 1) / Frame.alignment * Frame.alignment
        while candidate + Frame.lengthBytes + Frame.headerBytes <= bytes.count {
            defer { candidate += Frame.alignment }
            let field = bytes.loadLittleEndian(at: candidate, as: UInt64.self)
            if field == 0 {
                // Preallocated space: jump to where the zeros end, if they do.
                guard let nonZero = firstNonZero(from: candidate) else { return nil }
                candidate = nonZero / Frame.alignment * Frame.alignment - Frame.alignment
                continue
            }
            guard let (body, padding) = Frame.parseLengthField(field),
                candidate + Frame.lengthBytes + body + padding <= bytes.count
            else { continue }
            let bodyStart = candidate + Frame.lengthBytes
            let stored = bytes.loadLittleEndian(at: bodyStart + 1, as: UInt32.self)
            let withType = CRC32C.update(seed, UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<bodyStart + 1]))
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(bodyStart + Frame.headerBytes)..<(bodyStart + body)])
            if CRC32C.update(withType, payload) == stored { return candidate }
        }
        return nil
    }

    // MARK: Zero runs

    /// The first byte at or after `from` that is not zero. Whole blocks are compared with
    /// memcmp, so crossing megabytes of preallocated space stays cheap.
    func firstNonZero(from: Int) -> Int? {
        var at = from
        while at < bytes.count {
            let length = min(zeroBlock.count, bytes.count - at)
            let same = zeroBlock.withUnsafeBytes { memcmp(bytes.baseAddress! + at, $0.baseAddress!, length) == 0 }
            if !same {
                return (at..<(at + length)).first { bytes[$0] != 0 }
            }
            at += length
        }
        return nil
    }

    /// The last byte at or after `lowest` that is not zero, searching back from the end.
    func lastNonZero(notBelow lowest: Int) -> Int? {
        var end = bytes.count
        while end > lowest {
            let length = min(zeroBlock.count, end - lowest)
            let same = zeroBlock.withUnsafeBytes { memcmp(bytes.baseAddress! + end - length, $0.baseAddress!, length) == 0 }
            if !same {
                return ((end - length)..<end).last { bytes[$0] != 0 }
            }
            end -= length
        }
        return nil
    }
}

/// Zeros to compare runs of a segment against.
private let zeroBlock = [UInt8](repeating: 0, count: 4096)
