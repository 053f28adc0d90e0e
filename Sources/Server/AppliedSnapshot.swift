import Raft

/// What a member's Raft snapshot holds: the key-value store's snapshot, the auth state and the
/// membership.
///
/// Layout: magic "RTS2", the store's bytes (length-prefixed), the auth state's bytes
/// (length-prefixed), the membership's bytes (length-prefixed). "RTS1" is the same without the
/// membership (a snapshot from before membership changes). Bytes that start with the store's
/// own magic are a snapshot from before auth existed: the store alone, with auth off.
struct AppliedSnapshot {
    static let magic: [UInt8] = Array("RTS1".utf8)
    static let storeOnlyMagic: [UInt8] = Array("MVC1".utf8)
    static let magicWithMembership: [UInt8] = Array("RTS2".utf8)

    var store: [UInt8]
    var auth: AuthState
    /// Empty in a snapshot from before membership changes.
    var membership = Membership()

    init(store: [UInt8], auth: AuthState, membership: Membership = Membership()) {
        self.store = store
        self.auth = auth
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
            guard magic == Self.magic || magic == Self.magicWithMembership else {
                throw DecodingError(offset: 0, reason: "bad snapshot magic")
            }
            let store = try input.lengthPrefixed()
            let auth = try AuthState(snapshotData: try input.lengthPrefixed())
            var membership = Membership()
            if magic == Self.magicWithMembership {
                membership = try Membership(decoding: try input.lengthPrefixed())
            }
            try input.expectEnd()
            self.init(store: store, auth: auth, membership: membership)
        } catch {
            throw .store(.corruptSnapshot(error.description))
        }
    }

    func encoded() -> [UInt8] {
        let authBytes = auth.snapshotData()
        let membershipBytes = membership.encoded()
        var out = ByteWriter(capacity: 32 + store.count + authBytes.count + membershipBytes.count)
        out.bytes(Self.magicWithMembership)
        out.lengthPrefixed(store)
        out.lengthPrefixed(authBytes)
        out.lengthPrefixed(membershipBytes)
        return out.buffer
    }
}
