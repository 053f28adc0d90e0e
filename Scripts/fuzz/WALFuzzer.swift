// libFuzzer entry point for the WAL's segment decoder and snapshot file decoder; built by
// Scripts/fuzz.sh into one module with the WAL sources, against a separately built Raft.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWAL(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    for isLast in [false, true] {
        bytes.withUnsafeBytes { buffer in
            var decoder = SegmentDecoder(bytes: buffer, isLastSegment: isLast, carriedCRC: nil)
            var records = 0
            while case .record = decoder.next() {
                records += 1
                precondition(records <= count, "the segment decoder went around in circles")
            }
        }
    }
    if case .success(let snapshot) = SnapshotCodec.decode(bytes) {
        precondition(SnapshotCodec.decode(SnapshotCodec.encode(snapshot)) == .success(snapshot), "a snapshot did not round-trip")
    }
    return 0
}
