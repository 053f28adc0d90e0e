import MVCC
import Raft
import Server

/// What a read of one key found, and on which member.
public struct KeyRead: Sendable, Hashable {
    public var member: NodeID
    /// The key's value; nil when the key does not exist.
    public var value: [UInt8]?
    /// The revision that last wrote the key (0 when it does not exist).
    public var modRevision: Int64
    /// The member's store revision when it read.
    public var revision: Int64
}

/// Controls the terminal UI needs beyond the cluster's lifecycle: slow motion in real time,
/// and reading and deleting single keys (freezing the whole cluster is in Cluster+Freeze).
extension Cluster {
    /// Real time: stretches every member's tick by `factor` (2 makes elections and heartbeats
    /// take twice as long), for slow motion. Simulated clusters ignore it: their caller
    /// chooses how much simulated time passes.
    public func setTickScale(_ factor: Double) {
        let permille = UInt64((min(max(factor, 1), 1000) * 1000).rounded())
        tickScalePermille.store(permille, ordering: .relaxed)
    }

    public var tickScale: Double {
        Double(tickScalePermille.load(ordering: .relaxed)) / 1000
    }

    /// Reads `key` from the store of `member`, or of the leader (of any running member when
    /// there is none). The read does not go through Raft: it shows what that member has applied.
    /// With a `username`, the read needs that user's read permission when auth is on.
    public func get(key: [UInt8], from member: NodeID? = nil, as username: String? = nil) throws(ClusterReadError) -> KeyRead {
        let candidates = member.map { [$0] } ?? ([leader].compactMap { $0 } + ids)
        for id in candidates where memberState(id) != .down {
            guard let m = self.member(id) else { continue }
            if let username {
                do throws(AuthError) {
                    try m.checkPermission(username: username, access: .read, range: KeyRange(key: key))
                } catch {
                    throw ClusterReadError.auth(id, error)
                }
            }
            do {
                let result = try m.localRange(RangeRequest(range: KeyRange(key: key)))
                let kv = result.kvs.first
                return KeyRead(member: id, value: kv?.value, modRevision: kv?.modRevision ?? 0, revision: result.revision)
            } catch {
                throw ClusterReadError.store(id, error.description)
            }
        }
        if let member { throw ClusterReadError.memberDown(member) }
        throw ClusterReadError.noMemberRunning
    }

    /// Deletes `key` through the leader, as `put` puts.
    public func delete(key: [UInt8], via member: NodeID? = nil, credentials: Credentials = .none,
                       completion: @escaping Completion = { _ in }) {
        request(.deleteRange(DeleteRangeRequest(range: KeyRange(key: key))), via: member, credentials: credentials, completion: completion)
    }
}

public enum ClusterReadError: Error, Sendable, Hashable, CustomStringConvertible {
    case memberDown(NodeID)
    case noMemberRunning
    case store(NodeID, String)
    case auth(NodeID, AuthError)

    public var description: String {
        switch self {
        case .memberDown(let id): "member \(id) is down"
        case .noMemberRunning: "no member is running"
        case .store(let id, let why): "member \(id) could not read: \(why)"
        case .auth(let id, let error): "member \(id) refused the read: \(error)"
        }
    }
}
