#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Array where Element == UInt8 {
    /// Byte-wise order, as etcd orders keys: what `lexicographicallyPrecedes` answers, by one
    /// memcmp instead of a generic loop over elements (key comparisons are most of a sorted
    /// insert's cost).
    func bytesPrecede(_ other: [UInt8]) -> Bool {
        let shared = Swift.min(count, other.count)
        let order = withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in shared == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, shared) }
        }
        return order != 0 ? order < 0 : count < other.count
    }
}
