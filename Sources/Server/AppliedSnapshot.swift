import Raft

/// What a member's Raft snapshot holds: the key-value store's snapshot, the auth state and the
/// leases.
///
/// Layout: magic "RTS2", then the store's bytes, the auth state's bytes and the lease table's
/// bytes, each length-prefixed. Older layouts still decode: "RTS1" has no leases, and bytes
/// that start with the store's own magic are the store alone, with auth off.
struct AppliedSnapshot {
    static let magic: [UInt8] = Array("RTS2".utf8)
    static let withoutLeasesMagic: [UInt8] = Array("RTS1".utf8)
    static let storeOnlyMagic: [UInt8] = Array("MVC1".utf8)

    var store: [UInt8]
    var auth: AuthState
    var leases: LeaseTable

    init(store: [UInt8], auth: AuthState, leases: LeaseTable) {
        self.store = store
        self.auth = auth
        self.leases = leases
    }

    init(decoding data: [UInt8]) throws(ServerError) {
        if data.starts(with: Self.storeOnlyMagic) {
            self.init(store: data, auth: AuthState(), leases: LeaseTable())
            return
        }
        do throws(DecodingError) {
            var input = ByteReader(data)
            let magic = try input.bytes(4)
            guard magic == Self.magic || magic == Self.withoutLeasesMagic else {
                throw DecodingError(offset: 0, reason: "bad snapshot magic")
            }
            let store = try input.lengthPrefixed()
            let auth = try AuthState(snapshotData: try input.lengthPrefixed())
            let leases = magic == Self.magic ? try LeaseTable(snapshotData: try input.lengthPrefixed()) : LeaseTable()
            try input.expectEnd()
            self.init(store: store, auth: auth, leases: leases)
        } catch {
            throw .store(.corruptSnapshot(error.description))
        }
    }

    func encoded() -> [UInt8] {
        let authBytes = auth.snapshotData()
        let leaseBytes = leases.snapshotData()
        var out = ByteWriter(capacity: 32 + store.count + authBytes.count + leaseBytes.count)
        out.bytes(Self.magic)
        out.lengthPrefixed(store)
        out.lengthPrefixed(authBytes)
        out.lengthPrefixed(leaseBytes)
        return out.buffer
    }
}
