import ByteCoding
import Raft

/// What a member's Raft snapshot holds: the key-value store's snapshot, the auth state, the
/// leases, the raised alarms and the membership.
///
/// Layout: magic "RTS4", then the store's bytes, the auth state's bytes, the lease table's
/// bytes, the alarms' bytes and the membership's bytes, each length-prefixed. Older layouts
/// still decode: "RTS3" has no membership (it comes from the snapshot's Raft configuration),
/// "RTS2" neither alarms (none raised), "RTS1" nor leases, and bytes that start with the store's
/// own magic are the store alone, with auth off.
struct AppliedSnapshot {
    static let magic: [UInt8] = Array("RTS4".utf8)
    static let withoutMembershipMagic: [UInt8] = Array("RTS3".utf8)
    static let withoutAlarmsMagic: [UInt8] = Array("RTS2".utf8)
    static let withoutLeasesMagic: [UInt8] = Array("RTS1".utf8)
    static let storeOnlyMagic: [UInt8] = Array("MVC1".utf8)

    var store: [UInt8]
    var auth: AuthState
    var leases: LeaseTable
    var alarms: AlarmSet
    /// Empty in a snapshot from before membership changes.
    var membership: Membership

    init(store: [UInt8], auth: AuthState, leases: LeaseTable = LeaseTable(), alarms: AlarmSet = AlarmSet(),
         membership: Membership = Membership()) {
        self.store = store
        self.auth = auth
        self.leases = leases
        self.alarms = alarms
        self.membership = membership
    }

    init(decoding data: [UInt8]) throws(ServerError) {
        if data.starts(with: Self.storeOnlyMagic) {
            self.init(store: data, auth: AuthState())
            return
        }
        do throws(DecodingError) {
            var input = ByteReader(data)
            let magic = try input.bytes(4)
            let layouts = [Self.withoutLeasesMagic, Self.withoutAlarmsMagic, Self.withoutMembershipMagic, Self.magic]
            guard let layout = layouts.firstIndex(of: magic) else { throw DecodingError(offset: 0, reason: "bad snapshot magic") }
            let store = try input.lengthPrefixed()
            let auth = try AuthState(snapshotData: try input.lengthPrefixed())
            let leases = layout >= 1 ? try LeaseTable(snapshotData: try input.lengthPrefixed()) : LeaseTable()
            let alarms = layout >= 2 ? try AlarmSet(decoding: try input.lengthPrefixed()) : AlarmSet()
            let membership = layout >= 3 ? try Membership(decoding: try input.lengthPrefixed()) : Membership()
            try input.expectEnd()
            self.init(store: store, auth: auth, leases: leases, alarms: alarms, membership: membership)
        } catch {
            throw .store(.corruptSnapshot(error.description))
        }
    }

    func encoded() -> [UInt8] {
        let authBytes = auth.snapshotData()
        let leaseBytes = leases.snapshotData()
        let alarmBytes = alarms.encoded()
        let membershipBytes = membership.encoded()
        var out = ByteWriter(capacity: 48 + store.count + authBytes.count + leaseBytes.count + alarmBytes.count + membershipBytes.count)
        out.bytes(Self.magic)
        out.lengthPrefixed(store)
        out.lengthPrefixed(authBytes)
        out.lengthPrefixed(leaseBytes)
        out.lengthPrefixed(alarmBytes)
        out.lengthPrefixed(membershipBytes)
        return out.buffer
    }
}
