import ArgumentParser
import Foundation
import Server

/// `rafttop bench auth`: what hashing one password costs a member at a given strength, the price
/// of each user add, password change, login and upgrade.
struct BenchAuth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Measure password hashing (PBKDF2-HMAC-SHA256) at the configured rounds."
    )

    @OptionGroup var auth: AuthOptions

    @Option(help: "Hashes to time; the figure is their median.")
    var hashes = 5

    func validate() throws {
        guard (1...1_000).contains(hashes) else { throw ValidationError("--hashes must be from 1 to 1000, not \(hashes)") }
    }

    func run() throws {
        let rounds = auth.authPbkdf2Rounds
        var hashMillis: [Double] = []
        var verifyMillis: [Double] = []
        for i in 0..<hashes {
            let password = "password-\(i)"
            let start = ContinuousClock.now
            let hash = PasswordHash(hashing: password, rounds: rounds)
            let hashed = ContinuousClock.now
            guard hash.matches(password) else {
                FileHandle.standardError.write(Data("rafttop: a fresh hash did not match its password\n".utf8))
                throw ExitCode.failure
            }
            hashMillis.append(Self.millis(hashed - start))
            verifyMillis.append(Self.millis(ContinuousClock.now - hashed))
        }
        print("PBKDF2-HMAC-SHA256, \(rounds) rounds, median of \(hashes): "
            + String(format: "hash %.1f ms, verify %.1f ms", Self.median(hashMillis), Self.median(verifyMillis)))
    }

    private static func millis(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
    }

    private static func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }
}
