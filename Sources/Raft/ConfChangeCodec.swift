import ByteCoding
extension ConfChange {
    static let encodingVersion: UInt8 = 1

    /// The bytes stored in a `.confChange` entry: version, kind, node id, context.
    public func encoded() -> [UInt8] {
        var out = ByteWriter(capacity: 14 + context.count)
        out.uint8(Self.encodingVersion)
        out.uint8(kind.rawValue)
        out.uint64(nodeID)
        out.lengthPrefixed(context)
        return out.buffer
    }

    /// Decodes what `encoded()` wrote; throws a description of what is wrong otherwise.
    public init(decoding bytes: [UInt8]) throws(RaftError) {
        var input = ByteReader(bytes)
        do throws(DecodingError) {
            let version = try input.uint8()
            guard version == Self.encodingVersion else { throw input.error("unknown encoding version \(version)") }
            let rawKind = try input.uint8()
            guard let kind = Kind(rawValue: rawKind) else { throw input.error("unknown change kind \(rawKind)") }
            let nodeID = try input.uint64()
            guard nodeID != noNode else { throw input.error("node id 0") }
            let context = try input.lengthPrefixed()
            try input.expectEnd()
            self.init(kind: kind, nodeID: nodeID, context: context)
        } catch {
            throw .malformedConfChange(error.description)
        }
    }
}
