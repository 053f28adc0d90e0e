import ByteCoding
import Testing

/// The one byte coding every layer shares: what the writer writes the reader reads back, and
/// bytes that end too soon fail with the offset, never a trap.
@Suite struct ByteCodingTests {
    @Test func whatTheWriterWritesTheReaderReads() throws {
        var out = ByteWriter()
        out.uint8(7)
        out.bool(true)
        out.uint64(0x0102_0304_0506_0708)
        out.int64(-2)
        out.lengthPrefixed([9, 8, 7])
        var input = ByteReader(out.buffer)
        #expect(try input.uint8() == 7)
        #expect(try input.bool())
        #expect(try input.uint64() == 0x0102_0304_0506_0708)
        #expect(try input.int64() == -2)
        #expect(try input.lengthPrefixed() == [9, 8, 7])
        try input.expectEnd()
    }

    @Test func integersAreLittleEndian() throws {
        var out = ByteWriter()
        out.uint64(0x0102_0304_0506_0708)
        #expect(out.buffer == [8, 7, 6, 5, 4, 3, 2, 1])
        var input = ByteReader([4, 3, 2, 1])
        #expect(try input.uint32() == 0x0102_0304)
        var array: [UInt8] = [0xFF]
        array.appendLittleEndian(UInt32(0x0A0B_0C0D))
        #expect(array == [0xFF, 0x0D, 0x0C, 0x0B, 0x0A])
        #expect(array.withUnsafeBytes { $0.loadLittleEndian(at: 1, as: UInt32.self) } == 0x0A0B_0C0D)
    }

    @Test func shortInputFailsWithItsOffset() {
        var input = ByteReader([1, 2, 3])
        #expect(throws: DecodingError(offset: 0, reason: "needs 8 bytes, 3 left")) { try input.uint64() }
        var prefixed = ByteReader([5, 0, 0, 0, 1])
        #expect(throws: DecodingError(offset: 0, reason: "length 5 exceeds the 1 bytes left")) { try prefixed.lengthPrefixed() }
        var boolean = ByteReader([2])
        #expect(throws: DecodingError(offset: 0, reason: "boolean byte 2")) { try boolean.bool() }
        #expect(throws: DecodingError(offset: 0, reason: "1 unexpected trailing bytes")) { try ByteReader([0]).expectEnd() }
    }
}
