import Foundation
import Raft
import Testing
import WAL

/// etcd's WAL format read by rafttop's decoder, against segments our own encoder writes:
/// every record type, the CRC chain across segments, torn tails, and damage named by file and offset.
@Suite struct EtcdWALTests {
    static let entries = [
        EtcdEntry(term: 1, index: 1, type: 1, data: [8, 1, 16, 0, 24, 7]),
        EtcdEntry(term: 2, index: 2),
        EtcdEntry(term: 2, index: 3, data: Array("put payload".utf8)),
    ]

    /// A first segment as etcd creates one: crc, metadata, empty snapshot, then entries and a hard state.
    static func firstSegment(_ encoder: inout EtcdWALEncoder, entries: [EtcdEntry] = entries) -> [UInt8] {
        var bytes = encoder.frame(.crc(0))
        bytes += encoder.frame(.metadata(nodeID: 0xbdae, clusterID: 0xd1cf))
        bytes += encoder.frame(.snapshot(index: 0, term: 0))
        for entry in entries { bytes += encoder.frame(.entry(entry)) }
        bytes += encoder.frame(.hardState(HardState(term: 2, vote: 0xbdae, commit: 3)))
        return bytes
    }

    static func write(_ bytes: [UInt8], _ directory: String, sequence: UInt64 = 0, index: UInt64 = 0, zeros: Int = 0) -> String {
        let name = String(format: "%016llx-%016llx.wal", sequence, index)
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes + [UInt8](repeating: 0, count: zeros)))
        return path
    }

    @Test func readsEveryRecordType() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        _ = Self.write(Self.firstSegment(&encoder), dir.path, zeros: 4096)
        let contents = try EtcdWALContents.read(directory: dir.path)
        #expect(contents.nodeID == 0xbdae)
        #expect(contents.clusterID == 0xd1cf)
        #expect(contents.hardState == HardState(term: 2, vote: 0xbdae, commit: 3))
        #expect(contents.snapshots.map(\.index) == [0])
        #expect(contents.entries == Self.entries)
        #expect(contents.tornTail == nil)
        #expect(contents.corruption == nil)
    }

    @Test func framesArePaddedToEightBytes() {
        var encoder = EtcdWALEncoder()
        for size in 0..<20 {
            let frame = encoder.frame(.entry(EtcdEntry(term: 1, index: 1, data: [UInt8](repeating: 7, count: size))))
            #expect(frame.count % 8 == 0)
            let padding = (frame[7] & 0x80) != 0 ? Int(frame[7] & 0x07) : 0
            let length = Int(frame[0]) | Int(frame[1]) << 8
            #expect(8 + length + padding == frame.count)
        }
    }

    @Test func crcChainCarriesAcrossSegments() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        _ = Self.write(Self.firstSegment(&encoder), dir.path)
        var next = EtcdWALEncoder(crc: encoder.crc)
        var second = next.frame(.crc(encoder.crc))
        second += next.frame(.metadata(nodeID: 0xbdae, clusterID: 0xd1cf))
        second += next.frame(.entry(EtcdEntry(term: 3, index: 4, data: [1])))
        _ = Self.write(second, dir.path, sequence: 1, index: 4, zeros: 64)
        let contents = try EtcdWALContents.read(directory: dir.path)
        #expect(contents.corruption == nil)
        #expect(contents.entries.map(\.index) == [1, 2, 3, 4])

        // The same second segment carrying another CRC breaks the chain at its first byte.
        var wrong = EtcdWALEncoder(crc: encoder.crc ^ 1)
        let broken = wrong.frame(.crc(encoder.crc ^ 1)) + wrong.frame(.entry(EtcdEntry(term: 3, index: 4)))
        let path = Self.write(broken, dir.path, sequence: 1, index: 4)
        let damaged = try EtcdWALContents.read(directory: dir.path)
        #expect(damaged.corruption == .crcChainBroken(file: path, offset: 0, carried: encoder.crc ^ 1, expected: encoder.crc))
        #expect(damaged.entries.map(\.index) == [1, 2, 3])
    }

    @Test func partialLastFrameIsATornTail() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        let whole = Self.firstSegment(&encoder)
        let last = encoder.frame(.entry(EtcdEntry(term: 2, index: 4, data: [UInt8](repeating: 9, count: 100))))
        for cut in [3, 8, 20, last.count - 1] {
            let path = Self.write(whole + last.prefix(cut), dir.path)
            let contents = try EtcdWALContents.read(directory: dir.path)
            #expect(contents.corruption == nil)
            #expect(contents.tornTail?.file == path)
            #expect(contents.tornTail?.offset == whole.count)
            #expect(contents.entries.map(\.index) == [1, 2, 3])
        }
    }

    @Test func zeroSectorInLastFrameIsATornTail() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        let whole = Self.firstSegment(&encoder)
        var last = encoder.frame(.entry(EtcdEntry(term: 2, index: 4, data: [UInt8](repeating: 9, count: 2000))))
        // The record's bytes from the next sector boundary on never reached the disk.
        let boundary = (whole.count / 512 + 2) * 512 - whole.count
        for i in boundary..<last.count { last[i] = 0 }
        _ = Self.write(whole + last, dir.path, zeros: 512)
        let contents = try EtcdWALContents.read(directory: dir.path)
        #expect(contents.corruption == nil)
        #expect(contents.tornTail?.offset == whole.count)
        #expect(contents.tornTail?.reason.contains("zeros") == true)
    }

    @Test func badCRCIsCorruptionNamingFileAndOffset() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        var bytes = Self.firstSegment(&encoder)
        let thirdEntryOffset = Self.offsetOfFrame(5, in: bytes)
        bytes[bytes.count - 40] ^= 0x01
        let flipped = bytes.count - 40
        let path = Self.write(bytes, dir.path)
        let contents = try EtcdWALContents.read(directory: dir.path)
        guard case .crcMismatch(let file, let offset, _, _) = contents.corruption else {
            Issue.record("expected a crc mismatch, got \(String(describing: contents.corruption))")
            return
        }
        #expect(file == path)
        #expect(offset <= flipped)
        #expect(offset >= thirdEntryOffset)
        #expect(contents.corruption?.description.contains("at byte \(offset)") == true)
    }

    @Test func hugeLengthIsRefusedBeforeReading() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        let whole = Self.firstSegment(&encoder)
        let huge: [UInt8] = [0, 0, 0, 0, 0, 0, 0x10, 0]
        let path = Self.write(whole + huge + [UInt8](repeating: 1, count: 64), dir.path)
        let contents = try EtcdWALContents.read(directory: dir.path)
        #expect(contents.corruption == .recordTooLarge(file: path, offset: whole.count, bytes: 1 << 52,
                                                       limit: EtcdSegmentReader.maxRecordBytes))
        #expect(contents.entries.count == 3)
    }

    @Test func cutShortSegmentBeforeTheLastIsCorruption() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        let whole = Self.firstSegment(&encoder)
        let extra = encoder.frame(.entry(EtcdEntry(term: 2, index: 4, data: [1, 2, 3])))
        let path = Self.write(whole + extra.prefix(10), dir.path)
        var next = EtcdWALEncoder(crc: encoder.crc)
        _ = Self.write(next.frame(.crc(encoder.crc)), dir.path, sequence: 1, index: 4)
        let contents = try EtcdWALContents.read(directory: dir.path)
        guard case .truncated(let file, let offset, _, _) = contents.corruption else {
            Issue.record("expected truncation, got \(String(describing: contents.corruption))")
            return
        }
        #expect(file == path)
        #expect(offset == whole.count)
    }

    @Test func laterEntryReplacesTheTailItOverwrites() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        let replacement = EtcdEntry(term: 3, index: 2, data: [5])
        var bytes = Self.firstSegment(&encoder)
        bytes += encoder.frame(.entry(replacement))
        _ = Self.write(bytes, dir.path)
        let contents = try EtcdWALContents.read(directory: dir.path)
        #expect(contents.entries == [Self.entries[0], replacement])
    }

    @Test func missingSegmentAndStrangeNames() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        _ = Self.write(Self.firstSegment(&encoder), dir.path)
        _ = Self.write([], dir.path, sequence: 2, index: 9)
        _ = FileManager.default.createFile(atPath: dir.path + "/0.tmp", contents: Data([1, 2, 3]))
        #expect(throws: EtcdWALError.self) { try EtcdWALContents.read(directory: dir.path) }
        #expect(EtcdWALDirectory.parseName("0000000000000001-00000000000000ff.wal")! == (1, 255))
        #expect(EtcdWALDirectory.parseName("0000000000000001-00000000000000FF.wal") == nil)
        #expect(EtcdWALDirectory.parseName("0.tmp") == nil)
        let empty = TemporaryDirectory()
        #expect(throws: EtcdWALError.noSegments(directory: empty.path)) { try EtcdWALContents.read(directory: empty.path) }
    }

    @Test func locatesDataMemberAndWALDirectories() throws {
        let dir = TemporaryDirectory()
        let wal = dir.path + "/member/wal"
        try FileManager.default.createDirectory(atPath: wal, withIntermediateDirectories: true)
        var encoder = EtcdWALEncoder()
        _ = Self.write(Self.firstSegment(&encoder), wal)
        #expect(EtcdWALDirectory.locate(dir.path) == wal)
        #expect(EtcdWALDirectory.locate(dir.path + "/member") == wal)
        #expect(EtcdWALDirectory.locate(wal) == wal)
        #expect(EtcdWALDirectory.isEtcdFormat(wal))
        #expect(EtcdWALDirectory.locate(dir.path + "/member/none") == nil)
    }

    @Test func segmentMustStartWithACRCRecord() throws {
        let dir = TemporaryDirectory()
        var encoder = EtcdWALEncoder()
        let path = Self.write(encoder.frame(.entry(EtcdEntry(term: 1, index: 1))) + encoder.frame(.crc(0)), dir.path)
        let contents = try EtcdWALContents.read(directory: dir.path)
        guard case .malformed(let file, 0, let reason) = contents.corruption else {
            Issue.record("expected a malformed first record, got \(String(describing: contents.corruption))")
            return
        }
        #expect(file == path)
        #expect(reason.contains("not a crc record"))
        #expect(contents.entries.isEmpty)
    }

    /// The byte offset where frame number `n` (from 0) starts.
    static func offsetOfFrame(_ n: Int, in bytes: [UInt8]) -> Int {
        var offset = 0
        for _ in 0..<n {
            var field: UInt64 = 0
            for i in 0..<8 { field |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            let padding = field >> 63 == 1 ? Int((field >> 56) & 7) : 0
            offset += 8 + Int(field & 0x00FF_FFFF_FFFF_FFFF) + padding
        }
        return offset
    }
}
