import Testing
@testable import MVCC

@Suite struct SortedKeysTests {
    @Test func bytewiseOrderAgreesWithLexicographicOrder() {
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        // Short keys over a small alphabet, so prefixes, equal keys and empty keys all occur.
        let keys = (0..<400).map { _ in (0..<next(11)).map { _ in UInt8([0, 1, 0x7f, 0x80, 0xff][next(5)]) } }
        for a in keys {
            for b in keys.prefix(60) {
                #expect(a.bytesPrecede(b) == a.lexicographicallyPrecedes(b), "\(a) vs \(b)")
                // Unequal prefixes order their keys; equal ones leave it to the bytes.
                let (pa, pb) = (a.withUnsafeBytes(keyPrefix), b.withUnsafeBytes(keyPrefix))
                if pa != pb { #expect((pa < pb) == a.lexicographicallyPrecedes(b), "\(a) vs \(b)") }
            }
        }
    }

    /// Seeds 1 to 3: short keys, which their 8-byte prefixes order alone. Seeds 4 and 5: keys
    /// that share their first 10 bytes and some with zero bytes after, so prefixes tie and the
    /// keys' bytes decide.
    @Test(arguments: [1, 2, 3, 4, 5])
    func matchesASortedArrayUnderRandomInsertsAndRemoves(seed: Int) {
        var state = UInt64(seed)
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        func key(_ i: Int) -> [UInt8] {
            guard seed > 3 else { return Array("k\(i)".utf8) }
            return Array("/registry/".utf8) + (i % 3 == 0 ? [0, 0] : []) + Array("\(i)".utf8)
        }
        // Key ids are the numbers the keys are made from.
        let source = Keys(keys: (0..<3000).map(key))
        var keys = SortedKeys()
        var reference = Set<Int>()
        for _ in 0..<5000 {
            let k = next(3000)
            if next(4) == 0 {
                if reference.remove(k) != nil { keys.remove(UInt32(k), source) }
            } else if reference.insert(k).inserted {
                keys.insert(UInt32(k), source)
            }
        }
        let sorted = reference.map(key).sorted { $0.lexicographicallyPrecedes($1) }
        func bytes(_ ids: [UInt32]) -> [[UInt8]] { ids.map { source.keys[Int($0)] } }
        #expect(keys.count == reference.count)
        #expect(bytes(keys.all) == sorted)
        for _ in 0..<200 {
            let lo = key(next(3000))
            let hi = key(next(3000))
            let expected = sorted.filter { !$0.lexicographicallyPrecedes(lo) && $0.lexicographicallyPrecedes(hi) }
            #expect(bytes(keys.ids(in: KeyRange(key: lo, rangeEnd: hi), source)) == expected)
            #expect(bytes(keys.ids(in: KeyRange(key: lo), source)) == (sorted.contains(lo) ? [lo] : []))
            #expect(bytes(keys.ids(in: KeyRange(key: lo, rangeEnd: [0]), source)) == sorted.filter { !$0.lexicographicallyPrecedes(lo) })
        }
        let ordered = reference.sorted { key($0).lexicographicallyPrecedes(key($1)) }.map(UInt32.init)
        let rebuilt = SortedKeys(sortedIDs: ordered, source)
        #expect(rebuilt.all == ordered)
        let lo = key(next(3000))
        #expect(bytes(rebuilt.ids(in: KeyRange(key: lo, rangeEnd: [0]), source)) == sorted.filter { !$0.lexicographicallyPrecedes(lo) })
    }

    /// Keys by id, as the store's arena gives them.
    struct Keys: KeyBytesSource {
        let keys: [[UInt8]]

        func withKeyBytes<R>(_ id: UInt32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
            keys[Int(id)].withUnsafeBytes(body)
        }
    }

    @Test(arguments: [1, 2, 3])
    func keyTableFindsWhatASetHoldsUnderRandomInsertsAndRemoves(seed: Int) {
        var state = UInt64(seed)
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        // Hashes from a small range, so probes run through long clusters and removals shift them.
        func hash(_ k: Int) -> UInt32 { UInt32(k % 37) }
        var table = KeyTable()
        var reference = Set<Int>()
        for step in 0..<20_000 {
            let k = next(2000)
            let found = table.find(hash: hash(k)) { $0 == UInt32(k) }
            #expect(found == (reference.contains(k) ? UInt32(k) : nil), "step \(step) key \(k)")
            if reference.contains(k) && next(2) == 0 {
                table.remove(hash: hash(k), id: UInt32(k))
                reference.remove(k)
            } else if !reference.contains(k) {
                table.insert(hash: hash(k), id: UInt32(k))
                reference.insert(k)
            }
        }
        #expect(table.count == reference.count)
        for k in 0..<2000 {
            #expect(table.find(hash: hash(k)) { $0 == UInt32(k) } == (reference.contains(k) ? UInt32(k) : nil))
        }
    }
}
