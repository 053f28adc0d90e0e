import MVCC
import Raft
import Server

/// A key, or every key under a prefix, in a command (etcd's `--prefix`): what a permission
/// covers. Cluster's own, so that a front end names a range without importing MVCC.
public struct KeySpan: Sendable, Hashable {
    public var key: [UInt8]
    /// Empty for one key; otherwise the key after the last one covered, as etcd's range_end.
    public var rangeEnd: [UInt8]

    public init(key: [UInt8]) {
        self.key = key
        self.rangeEnd = []
    }

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: [UInt8]) -> KeySpan {
        let range = KeyRange.prefix(prefix)
        var span = KeySpan(key: range.key)
        span.rangeEnd = range.rangeEnd
        return span
    }

    var keyRange: KeyRange { KeyRange(key: key, rangeEnd: rangeEnd) }
}

/// What a role's permission allows, by etcdctl's names: read, write, readwrite.
public enum PermissionKind: String, Sendable, Hashable, CaseIterable {
    case read, write, readwrite

    var permissionKind: Permission.Kind {
        switch self {
        case .read: .read
        case .write: .write
        case .readwrite: .readwrite
        }
    }
}

/// The auth set-up a front end offers, enough to watch a denied put. Users made here have no
/// password: the front end vouches for them (see `Credentials.user`), and no secret is ever typed.
public enum AuthSetup: Sendable, Hashable {
    /// Makes a password-less root user with the root role if there is none, then turns auth on.
    case enable
    case disable
    /// Adds the role if it is new, then grants it `kind` on `range`.
    case grantPermission(role: String, kind: PermissionKind, range: KeySpan)
    case revokePermission(role: String, range: KeySpan)
    /// Adds a password-less user if it is new, then grants it the role.
    case grantRole(user: String, role: String)
}

/// Why a command a front end gave the cluster failed, in the member's words.
public struct CommandFailure: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ error: some Error) {
        description = "\(error)"
    }

    init(unexpected outcome: some Any, to what: String) {
        description = "\(what) answered \(outcome)"
    }
}

/// A seeded pseudo-random source for a front end's choices (keys and values of random puts),
/// so that a seed gives the same run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var inner: SplitMix64

    public init(seed: UInt64) {
        inner = SplitMix64(seed: seed)
    }

    public mutating func next() -> UInt64 {
        inner.next()
    }
}

/// How a lease id is shown, and the longest TTL a lease may ask for.
public enum LeaseNaming {
    /// etcd and etcdctl print a lease id as lowercase hexadecimal.
    public static func hex(_ id: Int64) -> String {
        LeaseID.hex(id)
    }

    public static let maxTTLSeconds = LeaseTable.maxTTLSeconds
}

/// Commands in the cluster's own vocabulary: what a front end asks without knowing the member's
/// request types. Each answers on the member's thread, as `request` does.
extension Cluster {
    /// Puts `value` at `key`, attached to `lease` (0: none), as `user` (nil: no user).
    public func put(key: [UInt8], value: [UInt8], lease: Int64, as user: String?,
                    completion: @escaping @Sendable (Result<(revision: Int64, raftTerm: UInt64), CommandFailure>) -> Void) {
        request(.put(PutRequest(key: key, value: value, lease: lease)), credentials: Self.credentials(user)) { result in
            completion(result.map { ($0.header.revision, $0.header.raftTerm) }.mapError(CommandFailure.init))
        }
    }

    /// Deletes `key` as `user`: how many keys went, and the revision after.
    public func delete(key: [UInt8], as user: String?,
                       completion: @escaping @Sendable (Result<(deleted: Int64, revision: Int64), CommandFailure>) -> Void) {
        delete(key: key, credentials: Self.credentials(user)) { result in
            completion(result.mapError(CommandFailure.init).flatMap { response in
                guard case .deleteRange(let deleted) = response.outcome else {
                    return .failure(CommandFailure(unexpected: response.outcome, to: "a delete"))
                }
                return .success((deleted.deleted, response.header.revision))
            })
        }
    }

    /// Grants a lease of `ttlSeconds` through the leader: its id and granted TTL. Throws at once
    /// when there is no leader or it refuses the TTL.
    public func grantLease(ttlSeconds: Int64, as user: String?,
                           completion: @escaping @Sendable (Result<(id: Int64, ttlSeconds: Int64), CommandFailure>) -> Void)
        throws(CommandFailure) {
        guard let leader = leader.flatMap(member) else { throw CommandFailure(ServerError.noLeader) }
        let operation: InternalRequest.Operation
        do throws(ServerError) {
            operation = try leader.leaseGrant(ttlSeconds: ttlSeconds)
        } catch {
            throw CommandFailure(error)
        }
        request(operation, credentials: Self.credentials(user)) { result in
            completion(result.mapError(CommandFailure.init).flatMap { response in
                guard case .leaseGrant(let id, let granted) = response.outcome else {
                    return .failure(CommandFailure(unexpected: response.outcome, to: "a lease grant"))
                }
                return .success((id, granted))
            })
        }
    }

    /// Revokes a lease, deleting its keys: the revision after.
    public func revokeLease(id: Int64, as user: String?, completion: @escaping @Sendable (Result<Int64, CommandFailure>) -> Void) {
        request(.leaseRevoke(id: id), credentials: Self.credentials(user)) { result in
            completion(result.map(\.header.revision).mapError(CommandFailure.init))
        }
    }

    /// One keep-alive on the leader, which keeps the leases' clocks: the TTL it starts again
    /// with, and the leader that renewed it.
    public func keepLeaseAlive(id: Int64) throws(CommandFailure) -> (ttlSeconds: Int64, leader: NodeID) {
        guard let leader = leader.flatMap(member) else { throw CommandFailure(ServerError.noLeader) }
        do throws(ServerError) {
            return (try leader.renewLease(id: id), leader.id)
        } catch {
            throw CommandFailure(error)
        }
    }

    /// Runs an auth set-up as root: its operations one after another, each proposed once the one
    /// before was applied. Returns what it proposes; `report` hears how it ended (true: failed).
    public func setUpAuth(_ setup: AuthSetup, report: @escaping @Sendable (String, _ failed: Bool) -> Void) -> String {
        let root = AuthState.rootUser
        var steps: [AuthOperation]
        switch setup {
        case .enable:
            let hasRoot = leader.flatMap(member)?.authState.users[root] != nil
            steps = hasRoot ? [] : [.userAdd(name: root, password: nil)]
            steps += [.userGrantRole(user: root, role: AuthState.rootRole), .enable]
        case .disable:
            steps = [.disable]
        case .grantPermission(let role, let kind, let range):
            steps = [.roleAdd(name: role),
                     .roleGrantPermission(role: role, permission: Permission(kind: kind.permissionKind, range: range.keyRange))]
        case .revokePermission(let role, let range):
            steps = [.roleRevokePermission(role: role, range: range.keyRange)]
        case .grantRole(let user, let role):
            steps = [.userAdd(name: user, password: nil), .userGrantRole(user: user, role: role)]
        }
        proposeAuth(steps[...], report: report)
        return steps.map(\.summary).joined(separator: ", ") + " proposed"
    }

    /// Proposes `steps` in order. "Already exists" is no failure here: a role or a grant adds
    /// what it needs only if it is missing.
    private func proposeAuth(_ steps: ArraySlice<AuthOperation>, report: @escaping @Sendable (String, Bool) -> Void) {
        guard let step = steps.first else { return }
        request(.auth(step), credentials: .user(AuthState.rootUser)) { result in
            switch result {
            case .success, .failure(.auth(.userAlreadyExist)), .failure(.auth(.roleAlreadyExist)):
                if steps.count == 1 {
                    report("\(step.summary): done", false)
                } else {
                    self.proposeAuth(steps.dropFirst(), report: report)
                }
            case .failure(let error):
                report("\(step.summary) failed: \(error)", true)
            }
        }
    }

    /// What the screen shows of one running member, as a snapshot would; nil while it is down.
    public func memberStatus(_ id: NodeID) -> MemberStatusView? {
        member(id).map { MemberStatusView($0.status()) }
    }

    /// The members' clock: how long a tick is, and the election and request timeouts.
    public var memberTiming: MemberTiming {
        MemberTiming(tickNanos: config.member.tickNanos, electionTimeoutNanos: config.member.electionTimeoutNanos,
                     requestTimeoutNanos: config.member.requestTimeoutNanos)
    }

    static func credentials(_ user: String?) -> Credentials {
        user.map(Credentials.user) ?? .none
    }
}

/// A member's clock settings, in nanoseconds.
public struct MemberTiming: Sendable, Hashable {
    public var tickNanos: UInt64
    public var electionTimeoutNanos: UInt64
    public var requestTimeoutNanos: UInt64
}

/// One member of the group as a membership change left it: its id, and whether it is a learner.
public struct MemberListing: Sendable, Hashable {
    public var id: NodeID
    public var isLearner: Bool
}

extension MembershipChangeResult {
    /// The member the change added, removed or promoted.
    public var changedMember: MemberListing {
        MemberListing(id: member.id, isLearner: member.isLearner)
    }

    /// Every member after the change.
    public var memberListing: [MemberListing] {
        members.map { MemberListing(id: $0.id, isLearner: $0.isLearner) }
    }
}
