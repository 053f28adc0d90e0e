extension ConfChange {
    /// Layout: version (1 byte, 1), kind (1 byte), node id (8 bytes little-endian), then the context.
    static let encodingVersion: UInt8 = 1
    static let headerBytes = 10

    /// The bytes stored in a `.confChange` entry.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerBytes + context.count)
        bytes.append(Self.encodingVersion)
        bytes.append(kind.rawValue)
        for shift in stride(from: 0, to: 64, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: nodeID >> UInt64(shift)))
        }
        bytes.append(contentsOf: context)
        return bytes
    }

    /// Decodes what `encoded()` wrote; throws a description of what is wrong otherwise.
    public init(decoding bytes: [UInt8]) throws(RaftError) {
        guard bytes.count >= Self.headerBytes else {
            throw .malformedConfChange("\(bytes.count) bytes, need at least \(Self.headerBytes)")
        }
        guard bytes[0] == Self.encodingVersion else {
            throw .malformedConfChange("unknown encoding version \(bytes[0])")
        }
        guard let kind = Kind(rawValue: bytes[1]) else {
            throw .malformedConfChange("unknown change kind \(bytes[1])")
        }
        var nodeID: UInt64 = 0
        for i in 0..<8 {
            nodeID |= UInt64(bytes[2 + i]) << UInt64(8 * i)
        }
        guard nodeID != noNode else { throw .malformedConfChange("node id 0") }
        self.init(kind: kind, nodeID: nodeID, context: Array(bytes[Self.headerBytes...]))
    }
}
