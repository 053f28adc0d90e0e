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
        let keys = (0..<400).map { _ in (0..<next(4)).map { _ in UInt8([0, 1, 0x7f, 0x80, 0xff][next(5)]) } }
        for a in keys {
            for b in keys.prefix(60) {
                #expect(a.bytesPrecede(b) == a.lexicographicallyPrecedes(b), "\(a) vs \(b)")
            }
        }
    }

    @Test(arguments: [1, 2, 3])
    func matchesASortedArrayUnderRandomInsertsAndRemoves(seed: Int) {
        var state = UInt64(seed)
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        func key(_ i: Int) -> [UInt8] { Array("k\(i)".utf8) }
        var keys = SortedKeys()
        var reference = Set<[UInt8]>()
        for _ in 0..<5000 {
            let k = key(next(3000))
            if next(4) == 0 {
                keys.remove(k)
                reference.remove(k)
            } else {
                keys.insert(k)
                reference.insert(k)
            }
        }
        let sorted = reference.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(keys.count == reference.count)
        #expect(keys.all == sorted)
        for _ in 0..<200 {
            let lo = key(next(3000))
            let hi = key(next(3000))
            let expected = sorted.filter { !$0.lexicographicallyPrecedes(lo) && $0.lexicographicallyPrecedes(hi) }
            #expect(keys.keys(in: KeyRange(key: lo, rangeEnd: hi)) == expected)
            #expect(keys.keys(in: KeyRange(key: lo)) == (reference.contains(lo) ? [lo] : []))
            #expect(keys.keys(in: KeyRange(key: lo, rangeEnd: [0])) == sorted.filter { !$0.lexicographicallyPrecedes(lo) })
        }
        #expect(SortedKeys(reference).all == sorted)
    }
}
