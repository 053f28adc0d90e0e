import Testing
@testable import Server

/// The digests password hashing rests on, against the published test vectors.
@Suite struct CryptoTests {
    @Test func sha256MatchesFIPS180Examples() {
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func sha256GivesTheSameDigestWhateverTheChunks() {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var hasher = SHA256()
        for chunk in stride(from: 0, to: message.count, by: 37) {
            hasher.update(Array(message[chunk..<min(chunk + 37, message.count)]))
        }
        #expect(hasher.finalize() == SHA256.hash(message))
    }

    @Test func hmacMatchesRFC4231() {
        #expect(hex(HMACSHA256.authenticationCode(key: Array(repeating: 0x0b, count: 20), message: bytes("Hi There")))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(hex(HMACSHA256.authenticationCode(key: bytes("Jefe"), message: bytes("what do ya want for nothing?")))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // A key longer than a block is hashed first.
        #expect(hex(HMACSHA256.authenticationCode(key: Array(repeating: 0xaa, count: 131),
                                                  message: bytes("Test Using Larger Than Block-Size Key - Hash Key First")))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func pbkdf2MatchesPublishedVectors() {
        let password = bytes("password"), salt = bytes("salt")
        #expect(hex(PBKDF2.sha256(password: password, salt: salt, iterations: 1, keyBytes: 32))
                == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
        #expect(hex(PBKDF2.sha256(password: password, salt: salt, iterations: 2, keyBytes: 32))
                == "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43")
        #expect(hex(PBKDF2.sha256(password: password, salt: salt, iterations: 4096, keyBytes: 32))
                == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
        // RFC 7914, section 11: two blocks of output.
        #expect(hex(PBKDF2.sha256(password: bytes("passwd"), salt: salt, iterations: 1, keyBytes: 64))
                == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    @Test func passwordHashMatchesOnlyItsPasswordAndSaltsEachHash() {
        let hash = PasswordHash(hashing: "s3cret", iterations: 16)
        #expect(hash.matches("s3cret"))
        #expect(!hash.matches("s3cret "))
        #expect(!hash.matches(""))
        let again = PasswordHash(hashing: "s3cret", iterations: 16)
        #expect(again.salt != hash.salt)
        #expect(again.hash != hash.hash)
    }

    private func hex(_ data: [UInt8]) -> String {
        data.map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}
