import ByteCoding
import Raft

/// Appends framed records to a byte buffer, rolling the CRC from one record to the next.
struct RecordEncoder {
    /// The CRC of everything encoded so far, carried into the next segment.
    private(set) var crc: UInt32

    init(crc: UInt32) {
        self.crc = crc
    }

    /// Encoded size of an entry record, padding included.
    static func frameBytes(ofEntry entry: Entry) -> Int {
        let body = Frame.headerBytes + Frame.entryHeaderBytes + entry.data.count
        return Frame.lengthBytes + body + Frame.paddingBytes(forBody: body)
    }

    mutating func appendEntry(_ entry: Entry, to buffer: inout [UInt8]) {
        let start = beginRecord(.entry, payloadBytes: Frame.entryHeaderBytes + entry.data.count, in: &buffer)
        buffer.appendLittleEndian(entry.term)
        buffer.appendLittleEndian(entry.index)
        buffer.append(entry.type.rawValue)
        buffer.append(contentsOf: entry.data)
        endRecord(startingAt: start, in: &buffer)
    }

    mutating func appendHardState(_ state: HardState, to buffer: inout [UInt8]) {
        let start = beginRecord(.hardState, payloadBytes: Frame.hardStatePayloadBytes, in: &buffer)
        buffer.appendLittleEndian(state.term)
        buffer.appendLittleEndian(state.vote)
        buffer.appendLittleEndian(state.commit)
        endRecord(startingAt: start, in: &buffer)
    }

    mutating func appendMetadata(_ metadata: WALMetadata, to buffer: inout [UInt8]) {
        let start = beginRecord(.metadata, payloadBytes: Frame.metadataPayloadBytes, in: &buffer)
        buffer.appendLittleEndian(metadata.memberID)
        buffer.appendLittleEndian(metadata.clusterID)
        endRecord(startingAt: start, in: &buffer)
    }

    mutating func appendSnapshot(_ snapshot: WALSnapshot, to buffer: inout [UInt8]) {
        let start = beginRecord(.snapshot, payloadBytes: Frame.snapshotPayloadBytes, in: &buffer)
        buffer.appendLittleEndian(snapshot.index)
        buffer.appendLittleEndian(snapshot.term)
        endRecord(startingAt: start, in: &buffer)
    }

    /// The record that opens a segment: the running CRC, stored as is.
    func appendCRC(to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(Frame.lengthField(bodyBytes: Frame.headerBytes))
        buffer.append(RecordType.crc.rawValue)
        buffer.appendLittleEndian(crc)
        buffer.append(contentsOf: repeatElement(0, count: Frame.paddingBytes(forBody: Frame.headerBytes)))
    }

    /// Writes the length field, type and a crc placeholder; returns where the body starts.
    private func beginRecord(_ type: RecordType, payloadBytes: Int, in buffer: inout [UInt8]) -> Int {
        let bodyBytes = Frame.headerBytes + payloadBytes
        precondition(bodyBytes <= Frame.maxBodyBytes, "record of \(bodyBytes) bytes; callers check the limit")
        buffer.reserveCapacity(buffer.count + Frame.lengthBytes + bodyBytes + Frame.alignment)
        buffer.appendLittleEndian(Frame.lengthField(bodyBytes: bodyBytes))
        let start = buffer.count
        buffer.append(type.rawValue)
        buffer.appendLittleEndian(UInt32(0))
        return start
    }

    /// Fills in the crc over type and payload, and pads to the alignment.
    private mutating func endRecord(startingAt start: Int, in buffer: inout [UInt8]) {
        let end = buffer.count
        let next = buffer.withUnsafeBytes { bytes in
            let withType = CRC32C.update(crc, UnsafeRawBufferPointer(rebasing: bytes[start..<start + 1]))
            return CRC32C.update(withType, UnsafeRawBufferPointer(rebasing: bytes[(start + Frame.headerBytes)..<end]))
        }
        crc = next
        buffer.storeLittleEndian(next, at: start + 1)
        buffer.append(contentsOf: repeatElement(0, count: Frame.paddingBytes(forBody: end - start)))
    }
}
