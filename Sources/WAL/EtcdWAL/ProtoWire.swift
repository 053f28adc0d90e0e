/// A minimal, strict reader of the protobuf wire format, enough for etcd's WAL messages.
///
/// etcd's WAL holds gogoproto-encoded messages; reading them needs only varints and
/// length-delimited fields, so a small reader of ours avoids a protobuf dependency. Every read
/// is bounded by the buffer: a bad length or an endless varint is an error, never a trap.
public struct ProtoWireError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var offset: Int

    public var description: String { "\(reason) at byte \(offset) of the message" }
}

/// One field of a message: its number and its value.
public struct ProtoField: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }

    public var number: UInt64
    public var value: Value

    public var varint: UInt64? { if case .varint(let v) = value { v } else { nil } }
    public var bytes: [UInt8]? { if case .bytes(let b) = value { b } else { nil } }
}

public enum ProtoWire {
    /// The fields of `bytes` in order, or an error naming the first malformed one.
    public static func fields(_ bytes: some Collection<UInt8>) throws(ProtoWireError) -> [ProtoField] {
        let buffer = Array(bytes)
        var offset = 0
        var fields: [ProtoField] = []
        while offset < buffer.count {
            let key = try varint(buffer, &offset)
            let number = key >> 3
            guard number > 0, number < (1 << 29) else { throw ProtoWireError(reason: "field number \(number) out of range", offset: offset) }
            switch key & 7 {
            case 0:
                fields.append(ProtoField(number: number, value: .varint(try varint(buffer, &offset))))
            case 1:
                guard buffer.count - offset >= 8 else { throw ProtoWireError(reason: "fixed64 cut short", offset: offset) }
                var v: UInt64 = 0
                for i in 0..<8 { v |= UInt64(buffer[offset + i]) << (8 * UInt64(i)) }
                offset += 8
                fields.append(ProtoField(number: number, value: .fixed64(v)))
            case 2:
                let length = try varint(buffer, &offset)
                guard length <= UInt64(buffer.count - offset) else {
                    throw ProtoWireError(reason: "field \(number) declares \(length) bytes, \(buffer.count - offset) remain", offset: offset)
                }
                fields.append(ProtoField(number: number, value: .bytes(Array(buffer[offset..<offset + Int(length)]))))
                offset += Int(length)
            case 5:
                guard buffer.count - offset >= 4 else { throw ProtoWireError(reason: "fixed32 cut short", offset: offset) }
                var v: UInt32 = 0
                for i in 0..<4 { v |= UInt32(buffer[offset + i]) << (8 * UInt32(i)) }
                offset += 4
                fields.append(ProtoField(number: number, value: .fixed32(v)))
            default:
                throw ProtoWireError(reason: "wire type \(key & 7) of field \(number) unsupported", offset: offset)
            }
        }
        return fields
    }

    static func varint(_ buffer: [UInt8], _ offset: inout Int) throws(ProtoWireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while offset < buffer.count {
            let byte = buffer[offset]
            offset += 1
            guard shift < 64 else { throw ProtoWireError(reason: "varint longer than 10 bytes", offset: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw ProtoWireError(reason: "varint cut short", offset: start)
    }

    /// Encodes a varint; for tests' encoders and round trips.
    public static func encodeVarint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }
}

/// Fields of one message read by number, with wire types checked against what the schema says.
public struct ProtoMessage: Sendable {
    public let fields: [ProtoField]

    public init(_ bytes: some Collection<UInt8>) throws(ProtoWireError) {
        fields = try ProtoWire.fields(bytes)
    }

    /// The last varint with this number (protobuf's rule for repeated scalars), or 0.
    public func uint(_ number: UInt64) -> UInt64 {
        fields.last { $0.number == number }?.varint ?? 0
    }

    public func int(_ number: UInt64) -> Int64 { Int64(bitPattern: uint(number)) }

    public func bool(_ number: UInt64) -> Bool { uint(number) != 0 }

    public func bytes(_ number: UInt64) -> [UInt8] {
        fields.last { $0.number == number }?.bytes ?? []
    }

    public func string(_ number: UInt64) -> String { String(decoding: bytes(number), as: UTF8.self) }

    public func has(_ number: UInt64) -> Bool { fields.contains { $0.number == number } }

    public func all(_ number: UInt64) -> [[UInt8]] { fields.filter { $0.number == number }.compactMap(\.bytes) }

    /// Whether every field has the number and wire type the schema gives: how a message is told
    /// from another whose bytes happen to parse (etcd's v2 Request from InternalRaftRequest).
    public func conforms(to schema: [UInt64: WireKind]) -> Bool {
        fields.allSatisfy { field in
            guard let kind = schema[field.number] else { return false }
            switch (kind, field.value) {
            case (.varint, .varint), (.bytes, .bytes): return true
            default: return false
            }
        }
    }

    public enum WireKind: Sendable { case varint, bytes }
}
