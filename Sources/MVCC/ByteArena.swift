#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a key or a value lives in a `ByteArena`: a page, an offset in it and a length.
struct ArenaSlot: Hashable, Sendable {
    var page: UInt32
    var offset: UInt32
    var length: UInt32

    /// The slot of an empty byte string, which needs no page.
    static let empty = ArenaSlot(page: 0, offset: 0, length: 0)
}

/// A block of arena memory, filled from the front. Bytes once written are never written again,
/// so an image of the store can read the slots it knows on another thread while the store goes
/// on appending behind them; the page is freed when neither holds it any more. Pages are mapped
/// from the kernel rather than taken from malloc, so a freed page (after a repack, or a store
/// let go) goes back to the system at once instead of staying in the allocator's heap.
final class ArenaPage: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    /// Bytes written so far; only the store that appends reads or changes it.
    var used = 0

    init(capacity: Int) {
        self.capacity = capacity
        let mapped = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            preconditionFailure("the store could not map \(capacity) bytes for its keys and values (errno \(errno))")
        }
        base = mapped
    }

    deinit { munmap(base, capacity) }
}

/// The store's keys and values, packed back to back in pages of `pageBytes` rather than held
/// as an array object each (a 32-byte header and an allocation per value). A value that a
/// compaction drops leaves its bytes behind as garbage, counted in `garbageBytes`, until
/// `repacked` copies what is live into fresh pages.
struct ByteArena: Sendable {
    static let pageBytes = 1 << 20

    private(set) var pages: [ArenaPage] = []
    /// Bytes appended since the arena was made, live or not.
    private(set) var usedBytes = 0
    /// Bytes of released slots, still in their pages.
    private(set) var garbageBytes = 0

    var liveBytes: Int { usedBytes - garbageBytes }

    /// Copies `bytes` in and returns where they are.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> ArenaSlot {
        let count = bytes.count
        guard count > 0, let source = bytes.baseAddress else { return .empty }
        precondition(count <= Int(UInt32.max), "a byte string of \(count) bytes is too long for the store")
        if pages.isEmpty || pages[pages.count - 1].capacity - pages[pages.count - 1].used < count {
            pages.append(ArenaPage(capacity: Swift.max(Self.pageBytes, count)))
            precondition(pages.count < Int(UInt32.max), "the store's arena ran out of page numbers")
        }
        let page = pages[pages.count - 1]
        (page.base + page.used).copyMemory(from: source, byteCount: count)
        let slot = ArenaSlot(page: UInt32(pages.count - 1), offset: UInt32(page.used), length: UInt32(count))
        page.used += count
        usedBytes += count
        return slot
    }

    mutating func append(_ bytes: [UInt8]) -> ArenaSlot {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Marks a slot's bytes as no longer referenced.
    mutating func release(_ slot: ArenaSlot) {
        garbageBytes += Int(slot.length)
        precondition(garbageBytes <= usedBytes, "released \(garbageBytes) bytes of an arena that holds \(usedBytes)")
    }

    func withBytes<R>(_ slot: ArenaSlot, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard slot.length > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let page = pages[Int(slot.page)]
        return try body(UnsafeRawBufferPointer(start: page.base + Int(slot.offset), count: Int(slot.length)))
    }

    func bytes(_ slot: ArenaSlot) -> [UInt8] {
        withBytes(slot) { Array($0) }
    }

    /// Whether the garbage is worth a copy of what is live: more garbage than live bytes, and
    /// at least `minimumGarbage` of it.
    func needsRepacking(minimumGarbage: Int) -> Bool {
        garbageBytes >= minimumGarbage && garbageBytes > liveBytes
    }
}

/// Bytewise order of two byte strings, as etcd orders keys: negative, zero or positive.
func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let shared = Swift.min(a.count, b.count)
    if shared > 0 {
        let order = memcmp(a.baseAddress!, b.baseAddress!, shared)
        if order != 0 { return Int(order) }
    }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

func hashBytes(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var hasher = Hasher()
    hasher.combine(bytes: bytes)
    let h = hasher.finalize()
    return UInt32(truncatingIfNeeded: h ^ (h >> 32))
}
