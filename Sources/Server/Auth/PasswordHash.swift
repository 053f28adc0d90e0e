import Crypto
import CryptoExtras

/// A password as the auth store keeps it: a salted, stretched hash that names its algorithm and
/// rounds, so a hash made with fewer rounds than a member is configured with still verifies and
/// can be upgraded on the next login (`needsUpgrade`). The password itself is hashed on the
/// member that receives it, before anything is proposed, so it never reaches the log, a
/// snapshot or another member.
public struct PasswordHash: Sendable, Hashable {
    /// How a hash was made. The raw value is the record's tag in entries and snapshots; records
    /// written before hashes named their algorithm carry 1 there, which is PBKDF2-HMAC-SHA256.
    public enum Algorithm: UInt8, Sendable, Hashable {
        case pbkdf2HMACSHA256 = 1
    }

    /// What new hashes are made with.
    public static let currentAlgorithm = Algorithm.pbkdf2HMACSHA256
    public static let saltBytes = 16
    /// Salts read from entries and snapshots are at most this long.
    static let maxSaltBytes = 64
    public static let hashBytes = 32
    /// OWASP's figure for PBKDF2-HMAC-SHA256 (Password Storage Cheat Sheet).
    public static let defaultRounds = 600_000
    /// Rounds a member may be configured with: fewer make a guess too cheap to call the result a
    /// password hash, more make each login take seconds of a member's CPU.
    public static let configurableRounds = 1_000...4_194_304
    /// Rounds a stored hash may have: the configurable ones and the fewer that tests use. The
    /// bound keeps a corrupt entry from making a member spin for minutes.
    static let storedRounds: ClosedRange<UInt32> = 1...UInt32(configurableRounds.upperBound)

    public let algorithm: Algorithm
    public let rounds: UInt32
    public let salt: [UInt8]
    public let hash: [UInt8]

    init(algorithm: Algorithm, rounds: UInt32, salt: [UInt8], hash: [UInt8]) {
        precondition(Self.storedRounds.contains(rounds), "rounds out of bounds: \(rounds)")
        self.algorithm = algorithm
        self.rounds = rounds
        self.salt = salt
        self.hash = hash
    }

    /// Hashes `password` with a fresh random salt and the current algorithm.
    public init(hashing password: String, rounds: Int) {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let rounds = UInt32(rounds)
        guard let hash = Self.derive(password, algorithm: Self.currentAlgorithm, rounds: rounds, salt: salt, bytes: Self.hashBytes) else {
            preconditionFailure("BoringSSL's PBKDF2 failed with \(rounds) rounds: it fails only when memory runs out")
        }
        self.init(algorithm: Self.currentAlgorithm, rounds: rounds, salt: salt, hash: hash)
    }

    /// Whether `password` is the one hashed, compared in time independent of where they differ.
    public func matches(_ password: String) -> Bool {
        guard let candidate = Self.derive(password, algorithm: algorithm, rounds: rounds, salt: salt, bytes: hash.count) else {
            return false
        }
        return SymmetricKey(data: candidate) == SymmetricKey(data: hash)
    }

    /// Whether a member configured with `rounds` hashes this password again once it has
    /// checked it: made with an older algorithm or fewer rounds.
    public func needsUpgrade(toRounds rounds: Int) -> Bool {
        algorithm != Self.currentAlgorithm || Int(self.rounds) < rounds
    }

    /// Nil only when BoringSSL fails, which it does when memory runs out.
    private static func derive(_ password: String, algorithm: Algorithm, rounds: UInt32, salt: [UInt8], bytes: Int) -> [UInt8]? {
        switch algorithm {
        case .pbkdf2HMACSHA256:
            // The unchecked entry point: the checked one refuses fewer than 210,000 rounds, and
            // hashes stored with 4,096 (what this store used to make) must still verify. The
            // bounds are ours: `configurableRounds` for new hashes, `storedRounds` for stored ones.
            let key = try? KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                         outputByteCount: bytes, unsafeUncheckedRounds: Int(rounds))
            return key?.withUnsafeBytes { Array($0) }
        }
    }
}
