import ByteCoding
import Raft

/// The alarms raised and not yet disarmed: etcd's AlarmStore, applied state that every member
/// holds alike and that its Raft snapshots carry.
public struct AlarmSet: Sendable, Hashable {
    /// At most one alarm of each type per member, as etcd keeps them.
    public private(set) var members: Set<AlarmMember> = []

    public init() {}

    /// The alarms of `type` (every type for `.none`), in a fixed order.
    public func list(_ type: AlarmType) -> [AlarmMember] {
        members.filter { type == .none || $0.alarm == type }.sorted()
    }

    public func isRaised(_ type: AlarmType) -> Bool {
        members.contains { $0.alarm == type }
    }

    /// Applies an alarm request as etcd's applier does, answering with the alarms it lists: for
    /// a raise, the alarm (also when it was up already); for a disarm, the alarm taken down,
    /// or nothing when there was none.
    mutating func apply(_ operation: AlarmOperation) -> [AlarmMember] {
        switch operation.action {
        case .get:
            return list(operation.alarm)
        case .activate:
            guard operation.alarm != .none else { return [] }
            let alarm = AlarmMember(memberID: operation.memberID, alarm: operation.alarm)
            members.insert(alarm)
            return [alarm]
        case .deactivate:
            let alarm = AlarmMember(memberID: operation.memberID, alarm: operation.alarm)
            return members.remove(alarm).map { [$0] } ?? []
        }
    }

    // MARK: Snapshot bytes

    /// Layout: count (8), then per alarm its member id (8) and type (1), in `list` order.
    func encoded() -> [UInt8] {
        var out = ByteWriter(capacity: 8 + members.count * 9)
        out.uint64(UInt64(members.count))
        for alarm in list(.none) {
            out.uint64(alarm.memberID)
            out.uint8(alarm.alarm.rawValue)
        }
        return out.buffer
    }

    init(decoding data: [UInt8]) throws(DecodingError) {
        var input = ByteReader(data)
        let count = try input.uint64()
        // Nine bytes an alarm: a count the bytes cannot hold is corrupt, not an allocation.
        guard count <= UInt64(data.count / 9) else { throw input.error("\(count) alarms in \(data.count) bytes") }
        for _ in 0..<count {
            let memberID = try input.uint64()
            let raw = try input.uint8()
            guard let type = AlarmType(rawValue: raw), type != .none else { throw input.error("unknown alarm type \(raw)") }
            members.insert(AlarmMember(memberID: memberID, alarm: type))
        }
        try input.expectEnd()
    }
}
