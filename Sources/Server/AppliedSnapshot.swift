import ByteCoding
import MVCC
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

    /// Decodes `data`, taking its buffer for the store's bytes when no one else holds it: the
    /// store part (nearly all of a snapshot) is moved to the front of the buffer and the rest
    /// cut off, rather than copied out, so a restart holds the snapshot's bytes once.
    init(decoding bytes: consuming [UInt8]) throws(ServerError) {
        var data = consume bytes
        if data.starts(with: Self.storeOnlyMagic) {
            self.init(store: data, auth: AuthState())
            return
        }
        let (storeRange, rest) = try Self.decodeParts(data)
        data.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress, storeRange.lowerBound > 0 else { return }
            base.copyMemory(from: base + storeRange.lowerBound, byteCount: storeRange.count)
        }
        data.removeLast(data.count - storeRange.count)
        self.init(store: data, auth: rest.auth, leases: rest.leases, alarms: rest.alarms, membership: rest.membership)
    }

    /// Where the store's bytes lie in `data`, and everything else decoded.
    private static func decodeParts(
        _ data: [UInt8]
    ) throws(ServerError) -> (Range<Int>, (auth: AuthState, leases: LeaseTable, alarms: AlarmSet, membership: Membership)) {
        do throws(DecodingError) {
            var input = ByteReader(data)
            let magic = try input.bytes(4)
            let layouts = [Self.withoutLeasesMagic, Self.withoutAlarmsMagic, Self.withoutMembershipMagic, Self.magic]
            guard let layout = layouts.firstIndex(of: magic) else { throw DecodingError(offset: 0, reason: "bad snapshot magic") }
            let storeCount = try input.uint32()
            let storeStart = input.offset
            guard Int(storeCount) <= input.remaining else {
                throw input.error("store length \(storeCount) exceeds the \(input.remaining) bytes left")
            }
            input = ByteReader(data, offset: storeStart + Int(storeCount))
            let auth = try AuthState(snapshotData: try input.lengthPrefixed())
            let leases = layout >= 1 ? try LeaseTable(snapshotData: try input.lengthPrefixed()) : LeaseTable()
            let alarms = layout >= 2 ? try AlarmSet(decoding: try input.lengthPrefixed()) : AlarmSet()
            let membership = layout >= 3 ? try Membership(decoding: try input.lengthPrefixed()) : Membership()
            try input.expectEnd()
            return (storeStart..<storeStart + Int(storeCount), (auth, leases, alarms, membership))
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

/// A Raft snapshot's data as `AppliedSnapshot.encoded()` lays it out, written in pieces: the
/// store's image (taken on the apply loop without copying) is encoded about a megabyte at a
/// time, so a member writing a snapshot never holds it whole. The other parts are small and
/// encoded up front.
struct AppliedSnapshotWriter: Sendable {
    let store: StoreImage
    /// The magic and the store's length.
    let head: [UInt8]
    /// The auth state, the leases, the alarms and the membership, each length-prefixed.
    let tail: [UInt8]

    init(store: StoreImage, auth: AuthState, leases: LeaseTable, alarms: AlarmSet, membership: Membership) {
        precondition(store.encodedBytes <= UInt32.max, "a store of \(store.encodedBytes) bytes is too large for a snapshot")
        self.store = store
        var head = AppliedSnapshot.magic
        head.appendLittleEndian(UInt32(store.encodedBytes))
        self.head = head
        var tail = ByteWriter(capacity: 64)
        tail.lengthPrefixed(auth.snapshotData())
        tail.lengthPrefixed(leases.snapshotData())
        tail.lengthPrefixed(alarms.encoded())
        tail.lengthPrefixed(membership.encoded())
        self.tail = tail.buffer
    }

    var encodedBytes: Int { head.count + store.encodedBytes + tail.count }

    /// Hands `append` the bytes in order, in pieces of about `pieceBytes`.
    func write<E: Error>(pieceBytes: Int = 1 << 20, to append: ([UInt8]) throws(E) -> Void) throws(E) {
        var pieces = pieces(pieceBytes: pieceBytes)
        while let piece = pieces.next() { try append(piece) }
    }

    /// The bytes a piece at a time, for a caller that takes them at its own pace.
    func pieces(pieceBytes: Int = 1 << 20) -> Pieces {
        Pieces(head: head, store: store.pieces(pieceBytes: pieceBytes), tail: tail)
    }

    /// The head, the store's pieces, then the tail.
    struct Pieces: Sendable {
        private var head: [UInt8]?
        private var store: StoreImage.Pieces
        private var tail: [UInt8]?

        init(head: [UInt8], store: StoreImage.Pieces, tail: [UInt8]) {
            self.head = head
            self.store = store
            self.tail = tail
        }

        mutating func next() -> [UInt8]? {
            if let head {
                self.head = nil
                return head
            }
            if let piece = store.next() { return piece }
            defer { tail = nil }
            return tail
        }
    }

    /// All the bytes in one buffer (memory-only members, and tests).
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedBytes)
        write { out.append(contentsOf: $0) }
        return out
    }
}
