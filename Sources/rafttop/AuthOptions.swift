import ArgumentParser
import Cluster
import Server

/// How members hash passwords: the strength etcd sets with `--bcrypt-cost`, here PBKDF2 rounds.
struct AuthOptions: ParsableArguments {
    @Option(help: """
        PBKDF2-HMAC-SHA256 rounds for passwords hashed on a member (\(PasswordHash.configurableRounds.lowerBound) to \
        \(PasswordHash.configurableRounds.upperBound); default OWASP's \(PasswordHash.defaultRounds)). A stored hash \
        with fewer is hashed again on its user's next login.
        """)
    var authPbkdf2Rounds: Int = PasswordHash.defaultRounds

    func validate() throws {
        let range = PasswordHash.configurableRounds
        guard range.contains(authPbkdf2Rounds) else {
            throw ValidationError("--auth-pbkdf2-rounds must be from \(range.lowerBound) to \(range.upperBound), not \(authPbkdf2Rounds)")
        }
    }

    func apply(to config: inout ClusterConfig) {
        config.member.passwordHashRounds = authPbkdf2Rounds
    }
}
