// libFuzzer entry point for the Raft message decoder; built by Scripts/fuzz.sh into one module
// with the Raft sources (not a SwiftPM target: -sanitize=fuzzer brings its own main).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRaftMessage(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let message = try? Message(decoding: bytes) else { return 0 }
    precondition((try? Message(decoding: message.encoded())) == message, "a decoded message did not round-trip")
    return 0
}
