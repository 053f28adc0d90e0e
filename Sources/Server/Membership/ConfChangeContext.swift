import ByteCoding
import Raft

/// What a membership change carries in its `ConfChange.context`, as etcd's ConfigChangeContext:
/// the member's attributes, whether an add-node promotes a learner, and the id of the request
/// that waits for it to be applied.
///
/// Layout: version 1, request id 8, isPromote 1, the member (see `MemberInfo.write`). An empty
/// context is a change made when the cluster was bootstrapped without attributes.
public struct ConfChangeContext: Sendable, Hashable {
    static let version: UInt8 = 1

    public var requestID: UInt64
    public var isPromote: Bool
    public var member: MemberInfo

    public init(requestID: UInt64, isPromote: Bool = false, member: MemberInfo) {
        self.requestID = requestID
        self.isPromote = isPromote
        self.member = member
    }

    public func encoded() -> [UInt8] {
        var out = ByteWriter(capacity: 64)
        out.uint8(Self.version)
        out.uint64(requestID)
        out.bool(isPromote)
        member.write(to: &out)
        return out.buffer
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var input = ByteReader(bytes)
        let version = try input.uint8()
        guard version == Self.version else { throw DecodingError(offset: 0, reason: "unknown conf change context version \(version)") }
        requestID = try input.uint64()
        isPromote = try input.bool()
        member = try MemberInfo(reading: &input)
        try input.expectEnd()
    }
}
