/// A password as the auth store keeps it: PBKDF2-HMAC-SHA-256 of the password with a random
/// salt. The password itself is hashed on the member that receives it, before anything is
/// proposed, so it never reaches the log, a snapshot or another member.
public struct PasswordHash: Sendable, Hashable {
    public static let saltBytes = 16
    public static let hashBytes = 32
    /// Enough to make each guess cost milliseconds, few enough for a debug build's tests.
    public static let defaultIterations = 4096
    /// A bound for decoding: a corrupt entry must not make a member spin for minutes.
    static let maxIterations: UInt32 = 1 << 22

    public let iterations: UInt32
    public let salt: [UInt8]
    public let hash: [UInt8]

    init(iterations: UInt32, salt: [UInt8], hash: [UInt8]) {
        precondition(iterations >= 1 && iterations <= Self.maxIterations, "iterations out of bounds: \(iterations)")
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// Hashes `password` with a fresh random salt.
    public init(hashing password: String, iterations: Int = PasswordHash.defaultIterations) {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let hash = PBKDF2.sha256(password: Array(password.utf8), salt: salt, iterations: iterations, keyBytes: Self.hashBytes)
        self.init(iterations: UInt32(iterations), salt: salt, hash: hash)
    }

    /// Whether `password` is the one hashed, compared in time independent of where they differ.
    public func matches(_ password: String) -> Bool {
        let candidate = PBKDF2.sha256(password: Array(password.utf8), salt: salt, iterations: Int(iterations), keyBytes: hash.count)
        var difference: UInt8 = 0
        for (a, b) in zip(candidate, hash) { difference |= a ^ b }
        return difference == 0 && candidate.count == hash.count
    }
}
