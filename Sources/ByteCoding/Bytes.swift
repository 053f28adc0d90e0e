/// Appends little-endian integers and length-prefixed byte strings to a buffer: the encoding
/// every rafttop record (raft messages, conf changes, requests, store snapshots, WAL snapshot
/// files) is written in. A leaf module, so the store and the log share it without the store
/// depending on Raft.
public struct ByteWriter: Sendable {
    public private(set) var buffer: [UInt8]

    public init(capacity: Int = 0) {
        buffer = []
        buffer.reserveCapacity(capacity)
    }

    public mutating func uint8(_ v: UInt8) { buffer.append(v) }

    public mutating func bool(_ v: Bool) { buffer.append(v ? 1 : 0) }

    public mutating func uint64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
    }

    public mutating func int64(_ v: Int64) { uint64(UInt64(bitPattern: v)) }

    public mutating func bytes(_ b: some Collection<UInt8>) { buffer.append(contentsOf: b) }

    /// A 4-byte length, then the bytes.
    public mutating func lengthPrefixed(_ b: [UInt8]) {
        precondition(b.count <= UInt32.max, "byte string of \(b.count) bytes is too long to encode")
        withUnsafeBytes(of: UInt32(b.count).littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: b)
    }
}

/// Why bytes did not decode, and where.
public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "at byte \(offset): \(reason)" }
}

/// Reads what `ByteWriter` wrote; every read checks bounds and fails with the offset.
public struct ByteReader: Sendable {
    private let data: [UInt8]
    public private(set) var offset: Int

    public init(_ data: [UInt8], offset: Int = 0) {
        self.data = data
        self.offset = offset
    }

    public var isAtEnd: Bool { offset == data.count }
    public var remaining: Int { data.count - offset }

    public func error(_ reason: String) -> DecodingError {
        DecodingError(offset: offset, reason: reason)
    }

    public mutating func bytes(_ n: Int) throws(DecodingError) -> [UInt8] {
        guard n >= 0, n <= remaining else { throw error("needs \(n) bytes, \(remaining) left") }
        defer { offset += n }
        return Array(data[offset..<offset + n])
    }

    public mutating func uint8() throws(DecodingError) -> UInt8 {
        guard remaining >= 1 else { throw error("needs 1 byte, none left") }
        defer { offset += 1 }
        return data[offset]
    }

    public mutating func bool() throws(DecodingError) -> Bool {
        switch try uint8() {
        case 0: return false
        case 1: return true
        case let other: throw DecodingError(offset: offset - 1, reason: "boolean byte \(other)")
        }
    }

    public mutating func uint32() throws(DecodingError) -> UInt32 { try littleEndian(UInt32.self) }

    public mutating func uint64() throws(DecodingError) -> UInt64 { try littleEndian(UInt64.self) }

    public mutating func int64() throws(DecodingError) -> Int64 { Int64(bitPattern: try uint64()) }

    public mutating func lengthPrefixed() throws(DecodingError) -> [UInt8] {
        guard remaining >= 4 else { throw error("needs a 4-byte length, \(remaining) left") }
        let n = Int(data.withUnsafeBytes { $0.loadLittleEndian(at: offset, as: UInt32.self) })
        guard n <= remaining - 4 else { throw error("length \(n) exceeds the \(remaining - 4) bytes left") }
        offset += 4
        return try bytes(n)
    }

    /// One unaligned load, not a byte at a time: the WAL and the apply loop decode every
    /// entry through here.
    private mutating func littleEndian<T: FixedWidthInteger>(_ type: T.Type) throws(DecodingError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw error("needs \(size) bytes, \(remaining) left") }
        defer { offset += size }
        return data.withUnsafeBytes { $0.loadLittleEndian(at: offset, as: T.self) }
    }

    /// Fails unless every byte was read.
    public func expectEnd() throws(DecodingError) {
        if !isAtEnd { throw error("\(remaining) unexpected trailing bytes") }
    }
}
