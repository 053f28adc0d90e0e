import Raft
import Server

/// One member of an external etcd cluster as its last Maintenance.Status answer described it.
public struct AttachedMember: Sendable, Hashable {
    /// Its position in the endpoint list, from 1, so keys 1-9 select it as they select members.
    public var id: NodeID
    public var endpoint: String
    public var reachable: Bool
    /// etcd's member ID; 0 until the member has answered once.
    public var memberID: UInt64
    public var isLeader: Bool
    public var raftTerm: UInt64
    /// etcd's raft index: the member's committed index.
    public var raftIndex: UInt64
    public var raftAppliedIndex: UInt64
    public var revision: Int64
    public var dbSizeBytes: Int64
    public var version: String
    /// How long its last Status call took.
    public var statusMicros: UInt64
    /// Why it could not be asked, or the errors it reported (e.g. no leader).
    public var errors: [String]
    /// What its /metrics said at the last scrape; nil when it could not be read.
    public var metrics: AttachedMetrics?
    /// Why its /metrics could not be read; nil when it was.
    public var metricsError: String?

    public init(id: NodeID, endpoint: String, reachable: Bool, memberID: UInt64, isLeader: Bool, raftTerm: UInt64,
                raftIndex: UInt64, raftAppliedIndex: UInt64, revision: Int64, dbSizeBytes: Int64, version: String,
                statusMicros: UInt64, errors: [String], metrics: AttachedMetrics? = nil, metricsError: String? = nil) {
        self.id = id
        self.endpoint = endpoint
        self.reachable = reachable
        self.memberID = memberID
        self.isLeader = isLeader
        self.raftTerm = raftTerm
        self.raftIndex = raftIndex
        self.raftAppliedIndex = raftAppliedIndex
        self.revision = revision
        self.dbSizeBytes = dbSizeBytes
        self.version = version
        self.statusMicros = statusMicros
        self.errors = errors
        self.metrics = metrics
        self.metricsError = metricsError
    }
}

/// A put rafttop made to the external cluster, as the cluster answered it.
public struct AttachedWrite: Sendable, Hashable {
    public var key: String
    public var valueBytes: Int
    public var revision: Int64
    public var raftTerm: UInt64
    /// The member the put was sent to.
    public var via: NodeID
    public var latencyMicros: UInt64
    public var atNanos: UInt64

    public init(key: String, valueBytes: Int, revision: Int64, raftTerm: UInt64, via: NodeID, latencyMicros: UInt64, atNanos: UInt64) {
        self.key = key
        self.valueBytes = valueBytes
        self.revision = revision
        self.raftTerm = raftTerm
        self.via = via
        self.latencyMicros = latencyMicros
        self.atNanos = atNanos
    }
}

/// A key read from the external cluster: its value, or nil when it does not exist.
public struct AttachedRead: Sendable, Hashable {
    public var value: [UInt8]?
    public var modRevision: Int64
    /// The store's revision when it was read.
    public var revision: Int64
    public var via: NodeID

    public init(value: [UInt8]?, modRevision: Int64, revision: Int64, via: NodeID) {
        self.value = value
        self.modRevision = modRevision
        self.revision = revision
        self.via = via
    }
}

/// Why a request to the external cluster failed, as the client library or the member put it.
public struct AttachedRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// What the UI shows of a cluster it is attached to rather than running.
public struct AttachedView: Sendable {
    public var endpoints: [String]
    /// One per endpoint, in the order of `endpoints`.
    public var members: [AttachedMember]
    /// The puts rafttop made, newest first.
    public var writes: [AttachedWrite]
    /// The newest entries of each member whose WAL rafttop can read (its data directory was
    /// given or rafttop launched it), by member; empty when it can read none.
    public var wal: [NodeID: AttachedWAL]

    public init(endpoints: [String], members: [AttachedMember], writes: [AttachedWrite], wal: [NodeID: AttachedWAL] = [:]) {
        self.endpoints = endpoints
        self.members = members
        self.writes = writes
        self.wal = wal
    }
}

/// The tail of an external member's own WAL, decoded from etcd's format.
public struct AttachedWAL: Sendable, Hashable {
    /// Oldest first.
    public var entries: [WALEntryView]
    /// The commit index of the newest hard state in the WAL.
    public var commit: UInt64
    /// Why the WAL could not be read, or where its tail is still being written; nil when read whole.
    public var note: String?

    public init(entries: [WALEntryView], commit: UInt64, note: String?) {
        self.entries = entries
        self.commit = commit
        self.note = note
    }
}

/// A running cluster the UI watches from outside, over its client API: it can read each member's
/// status and write keys, but cannot kill, pause or cut off members, nor see their logs.
public protocol AttachedCluster: AnyObject, Sendable {
    var endpoints: [String] { get }
    /// A monotonic clock reading, the time base of snapshots and events.
    func nowNanos() -> UInt64
    func snapshot() -> ClusterSnapshot
    func put(key: String, value: [UInt8], completion: @escaping @Sendable (Result<AttachedWrite, AttachedRequestError>) -> Void)
    func get(key: String, completion: @escaping @Sendable (Result<AttachedRead, AttachedRequestError>) -> Void)
    /// Completes with the number of keys deleted.
    func delete(key: String, completion: @escaping @Sendable (Result<Int64, AttachedRequestError>) -> Void)
    /// Starts (or restarts) closed-loop clients putting at `rate` puts per second; returns how many.
    func startLoad(rate: Double) -> Int
    func stopLoad()
    func closeLatencyInterval()
    func resetLatency()
    /// The controls over the members' processes and links, when rafttop launched them; nil when attached.
    var controls: (any ExternalControls)? { get }
}
