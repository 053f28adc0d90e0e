/// HMAC-SHA-256 (RFC 2104) and PBKDF2-HMAC-SHA-256 (RFC 8018), the key stretching the auth store
/// hashes passwords with.
enum HMACSHA256 {
    static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let (inner, outer) = keyedStates(key: key)
        var hasher = SHA256(resumingFrom: inner, processedBytes: SHA256.blockBytes)
        hasher.update(message)
        let innerDigest = hasher.finalize()
        var outerHasher = SHA256(resumingFrom: outer, processedBytes: SHA256.blockBytes)
        outerHasher.update(innerDigest)
        return outerHasher.finalize()
    }

    /// The SHA-256 states after the key XOR ipad and the key XOR opad blocks: the part of every
    /// HMAC with this key that does not depend on the message.
    static func keyedStates(key: [UInt8]) -> (inner: [UInt32], outer: [UInt32]) {
        var block = key.count > SHA256.blockBytes ? SHA256.hash(key) : key
        block.append(contentsOf: repeatElement(0, count: SHA256.blockBytes - block.count))
        var inner = SHA256().state
        var outer = inner
        SHA256.compress(&inner, block.map { $0 ^ 0x36 }, at: 0)
        SHA256.compress(&outer, block.map { $0 ^ 0x5c }, at: 0)
        return (inner, outer)
    }
}

enum PBKDF2 {
    /// Derives `keyBytes` bytes from `password` and `salt` with `iterations` rounds of HMAC-SHA-256.
    static func sha256(password: [UInt8], salt: [UInt8], iterations: Int, keyBytes: Int) -> [UInt8] {
        precondition(iterations >= 1 && keyBytes >= 1, "PBKDF2 needs at least one iteration and one byte")
        let (inner, outer) = HMACSHA256.keyedStates(key: password)
        var derived: [UInt8] = []
        var blockIndex: UInt32 = 1
        while derived.count < keyBytes {
            let counter: [UInt8] = [UInt8(blockIndex >> 24), UInt8(truncatingIfNeeded: blockIndex >> 16),
                                    UInt8(truncatingIfNeeded: blockIndex >> 8), UInt8(truncatingIfNeeded: blockIndex)]
            var u = HMACSHA256.authenticationCode(key: password, message: salt + counter)
            var block = u
            // Every later round hashes one 32-byte digest: one padded block per inner and outer
            // hash, from the precomputed keyed states.
            var padded = [UInt8](repeating: 0, count: SHA256.blockBytes)
            padded[SHA256.digestBytes] = 0x80
            let bits = (SHA256.blockBytes + SHA256.digestBytes) * 8
            padded[62] = UInt8(bits >> 8)
            padded[63] = UInt8(truncatingIfNeeded: bits)
            for _ in 1..<iterations {
                padded.replaceSubrange(0..<SHA256.digestBytes, with: u)
                var state = inner
                SHA256.compress(&state, padded, at: 0)
                padded.replaceSubrange(0..<SHA256.digestBytes, with: SHA256.bytes(of: state))
                state = outer
                SHA256.compress(&state, padded, at: 0)
                u = SHA256.bytes(of: state)
                for i in 0..<SHA256.digestBytes { block[i] ^= u[i] }
            }
            derived.append(contentsOf: block)
            blockIndex += 1
        }
        return Array(derived.prefix(keyBytes))
    }
}
