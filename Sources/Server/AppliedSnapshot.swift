import Raft

/// What a member's Raft snapshot holds: the key-value store's snapshot and the auth state.
///
/// Layout: magic "RTS1", the store's bytes (length-prefixed), the auth state's bytes
/// (length-prefixed). Bytes that start with the store's own magic are a snapshot from before
/// auth existed: the store alone, with auth off.
struct AppliedSnapshot {
    static let magic: [UInt8] = Array("RTS1".utf8)
    static let storeOnlyMagic: [UInt8] = Array("MVC1".utf8)

    var store: [UInt8]
    var auth: AuthState

    init(store: [UInt8], auth: AuthState) {
        self.store = store
        self.auth = auth
    }

    init(decoding data: [UInt8]) throws(ServerError) {
        if data.starts(with: Self.storeOnlyMagic) {
            self.init(store: data, auth: AuthState())
            return
        }
        do throws(DecodingError) {
            var input = ByteReader(data)
            guard try input.bytes(4) == Self.magic else { throw DecodingError(offset: 0, reason: "bad snapshot magic") }
            let store = try input.lengthPrefixed()
            let auth = try AuthState(snapshotData: try input.lengthPrefixed())
            try input.expectEnd()
            self.init(store: store, auth: auth)
        } catch {
            throw .store(.corruptSnapshot(error.description))
        }
    }

    func encoded() -> [UInt8] {
        let authBytes = auth.snapshotData()
        var out = ByteWriter(capacity: 24 + store.count + authBytes.count)
        out.bytes(Self.magic)
        out.lengthPrefixed(store)
        out.lengthPrefixed(authBytes)
        return out.buffer
    }
}
