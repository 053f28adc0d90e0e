import ByteCoding
import Raft

/// An alarm request in a Raft entry: action (1), member id (8), alarm type (1).
extension InternalRequest {
    /// The operation kind of an alarm request: a number apart from the store's and auth's, so
    /// other kinds can be added below it.
    static let alarmKind: UInt8 = 9

    static func encode(_ operation: AlarmOperation, into out: inout ByteWriter) {
        out.uint8(operation.action.rawValue)
        out.uint64(operation.memberID)
        out.uint8(operation.alarm.rawValue)
    }

    static func decodeAlarm(_ input: inout ByteReader) throws(DecodingError) -> AlarmOperation {
        let rawAction = try input.uint8()
        guard let action = AlarmOperation.Action(rawValue: rawAction) else {
            throw DecodingError(offset: input.offset - 1, reason: "unknown alarm action \(rawAction)")
        }
        let memberID = try input.uint64()
        let rawType = try input.uint8()
        guard let alarm = AlarmType(rawValue: rawType) else {
            throw DecodingError(offset: input.offset - 1, reason: "unknown alarm type \(rawType)")
        }
        return AlarmOperation(action: action, memberID: memberID, alarm: alarm)
    }
}
