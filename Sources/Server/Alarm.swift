import Raft

/// etcd's alarm types, with etcd's numbers (AlarmType in rpc.proto).
public enum AlarmType: UInt8, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// In a request: every type.
    case none = 0
    /// The store is past its space quota: writes that add data are refused until disarmed.
    case noSpace = 1
    /// A member's store differs from the others'.
    case corrupt = 2

    public static func < (lhs: AlarmType, rhs: AlarmType) -> Bool { lhs.rawValue < rhs.rawValue }

    /// etcd's name for the type, as `etcdctl alarm list` prints it.
    public var description: String {
        switch self {
        case .none: "NONE"
        case .noSpace: "NOSPACE"
        case .corrupt: "CORRUPT"
        }
    }
}

/// One raised alarm: which member raised it, and of what type.
public struct AlarmMember: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var memberID: NodeID
    public var alarm: AlarmType

    public init(memberID: NodeID, alarm: AlarmType) {
        self.memberID = memberID
        self.alarm = alarm
    }

    public static func < (lhs: AlarmMember, rhs: AlarmMember) -> Bool {
        (lhs.alarm, lhs.memberID) < (rhs.alarm, rhs.memberID)
    }

    /// As etcd prints an AlarmMember (its protobuf text form, trailing space included), in
    /// `etcdctl alarm list` and in Status's errors.
    public var description: String { "memberID:\(memberID) alarm:\(alarm) " }
}

/// An alarm request, proposed through Raft so every member lists the same alarms (etcd's
/// InternalRaftRequest.Alarm): list them, raise one, or disarm one.
public struct AlarmOperation: Sendable, Hashable {
    public enum Action: UInt8, Sendable, Hashable {
        case get = 0
        case activate = 1
        case deactivate = 2
    }

    public var action: Action
    public var memberID: NodeID
    public var alarm: AlarmType

    public init(action: Action, memberID: NodeID = 0, alarm: AlarmType = .none) {
        self.action = action
        self.memberID = memberID
        self.alarm = alarm
    }

    /// For logs and the WAL view, e.g. `alarm activate NOSPACE 1`.
    public var summary: String {
        switch action {
        case .get: "alarm get \(alarm)"
        case .activate: "alarm activate \(alarm) \(memberID)"
        case .deactivate: "alarm deactivate \(alarm) \(memberID)"
        }
    }
}
