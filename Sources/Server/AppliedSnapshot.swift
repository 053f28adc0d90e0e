import Raft

/// What a member's Raft snapshot holds: the key-value store's snapshot, the auth state, the
/// leases and the raised alarms.
///
/// Layout: magic "RTS3", then the store's bytes, the auth state's bytes, the lease table's bytes
/// and the alarms' bytes, each length-prefixed. Older layouts still decode: "RTS2" has no alarms
/// (none raised), "RTS1" neither leases nor alarms, and bytes that start with the store's own
/// magic are the store alone, with auth off.
struct AppliedSnapshot {
    static let magic: [UInt8] = Array("RTS3".utf8)
    static let withoutAlarmsMagic: [UInt8] = Array("RTS2".utf8)
    static let withoutLeasesMagic: [UInt8] = Array("RTS1".utf8)
    static let storeOnlyMagic: [UInt8] = Array("MVC1".utf8)

    var store: [UInt8]
    var auth: AuthState
    var leases: LeaseTable
    var alarms: AlarmSet

    init(store: [UInt8], auth: AuthState, leases: LeaseTable, alarms: AlarmSet = AlarmSet()) {
        self.store = store
        self.auth = auth
        self.leases = leases
        self.alarms = alarms
    }

    init(decoding data: [UInt8]) throws(ServerError) {
        if data.starts(with: Self.storeOnlyMagic) {
            self.init(store: data, auth: AuthState(), leases: LeaseTable())
            return
        }
        do throws(DecodingError) {
            var input = ByteReader(data)
            let magic = try input.bytes(4)
            guard magic == Self.magic || magic == Self.withoutAlarmsMagic || magic == Self.withoutLeasesMagic else {
                throw DecodingError(offset: 0, reason: "bad snapshot magic")
            }
            let store = try input.lengthPrefixed()
            let auth = try AuthState(snapshotData: try input.lengthPrefixed())
            let leases = magic == Self.withoutLeasesMagic ? LeaseTable() : try LeaseTable(snapshotData: try input.lengthPrefixed())
            let alarms = magic == Self.magic ? try AlarmSet(decoding: try input.lengthPrefixed()) : AlarmSet()
            try input.expectEnd()
            self.init(store: store, auth: auth, leases: leases, alarms: alarms)
        } catch {
            throw .store(.corruptSnapshot(error.description))
        }
    }

    func encoded() -> [UInt8] {
        let authBytes = auth.snapshotData()
        let leaseBytes = leases.snapshotData()
        let alarmBytes = alarms.encoded()
        var out = ByteWriter(capacity: 40 + store.count + authBytes.count + leaseBytes.count + alarmBytes.count)
        out.bytes(Self.magic)
        out.lengthPrefixed(store)
        out.lengthPrefixed(authBytes)
        out.lengthPrefixed(leaseBytes)
        out.lengthPrefixed(alarmBytes)
        return out.buffer
    }
}
