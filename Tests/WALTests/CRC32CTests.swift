import Testing
@testable import WAL

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // RFC 3720 (iSCSI) appendix B.4: 32 bytes of zeros, of ones, and ascending.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    @Test func rollingEqualsWhole() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let rolled = CRC32C.update(CRC32C.checksum(bytes[..<split]), bytes[split...])
            #expect(rolled == CRC32C.checksum(bytes), "split at \(split)")
        }
    }

    @Test func slicingMatchesBytewise() {
        // Every length up to 40 exercises the 8-byte loop and the byte-at-a-time tail.
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
            var bytewise: UInt32 = 0
            for byte in bytes { bytewise = CRC32C.update(bytewise, [byte]) }
            #expect(CRC32C.checksum(bytes) == bytewise, "length \(length)")
        }
    }
}
