/// A key as the store's hash tables hold it. `[UInt8]` hashes element by element, one hasher
/// call per byte; this hashes the bytes in one call, which is most of what a put's key lookups
/// cost.
struct StoreKey: Hashable, Sendable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
