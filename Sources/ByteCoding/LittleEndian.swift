/// Little-endian integers appended to and read from byte buffers, as every WAL and snapshot
/// file stores them. Inlinable: the WAL's encoder and decoder call these once a field.
extension Array where Element == UInt8 {
    @inlinable @inline(__always)
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    @inlinable @inline(__always)
    public mutating func storeLittleEndian(_ value: UInt32, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    }
}

extension UnsafeRawBufferPointer {
    @inlinable @inline(__always)
    public func loadLittleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
