import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Synchronization
import Testing
@testable import EtcdAPI

/// etcd's Lock service over gRPC, from an in-process client, as etcd's v3lock server answers it.
///
/// Until rafttop grants leases, only lease 0 can be put, so one locker per name goes through
/// Lock; the other holders are keys put as another session's Lock puts them (`NAME/` and its
/// lease in hex), which is all a lock is.
@Suite struct LockTests {
    typealias LockClient = V3lockpb_Lock.Client<HTTP2ClientTransport.Posix>
    typealias KVClient = Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>

    @Test func ownerKeyIsTheLeaseInLowercaseHex() {
        let prefix = MemberAPI.prefix(of: bytes("job"))
        #expect(MemberAPI.ownerKey(prefix: prefix, lease: 0x1a2b) == bytes("job/1a2b"))
        #expect(MemberAPI.ownerKey(prefix: prefix, lease: 0) == bytes("job/0"))
        #expect(MemberAPI.ownerKey(prefix: prefix, lease: -1) == bytes("job/-1"))
    }

    @Test func aFreeLockIsHeldAtOnce() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let locks = LockClient(wrapping: client)
                let first = try await locks.lock(.init("job", lease: 0))
                #expect(first.keyString == "job/0")
                #expect(first.header.memberID == 1 && first.header.revision == 2)
                // Locking again with the same lease finds the same key.
                let again = try await locks.lock(.init("job", lease: 0))
                #expect(again.keyString == "job/0" && again.header.revision == 2)
                _ = try await locks.unlock(.init(key: first.key))
                let left = try await Self.keys("job/", KVClient(wrapping: client))
                #expect(left.isEmpty)
            }
        }
    }

    @Test func secondLockerWaitsUntilTheFirstUnlocks() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let locks = LockClient(wrapping: client)
                let kv = KVClient(wrapping: client)
                _ = try await kv.put(Etcdserverpb_PutRequest("job/1a", ""))
                let second = Task { try await locks.lock(.init("job", lease: 0)) }
                try await waitForKey("job/0", kv)
                let returned = Flag()
                let watching = Task {
                    _ = try? await second.value
                    returned.set()
                }
                try await Task.sleep(for: .milliseconds(200))
                let early = returned.isSet
                #expect(!early, "the second Lock returned while the first held the lock")

                let unlocked = try await locks.unlock(.init(key: bytes("job/1a")))
                let held = try await second.value
                await watching.value
                #expect(held.keyString == "job/0")
                #expect(held.header.revision >= unlocked.header.revision)
                #expect(try await Self.keys("job/", kv) == ["job/0"])
            }
        }
    }

    /// Waiters queue in create order: each waits for the deletion of the last key created before
    /// its own, again until none is left.
    @Test func aWaiterWaitsForEveryEarlierKey() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let locks = LockClient(wrapping: client)
                let kv = KVClient(wrapping: client)
                _ = try await kv.put(Etcdserverpb_PutRequest("q/1", ""))
                _ = try await kv.put(Etcdserverpb_PutRequest("q/2", ""))
                let waiter = Task { try await locks.lock(.init("q", lease: 0)) }
                try await waitForKey("q/0", kv)
                _ = try await kv.deleteRange(.init("q/1"))
                _ = try await h.withKV(3) { other in try await other.deleteRange(.init("q/2")) }
                #expect(try await waiter.value.keyString == "q/0")
                #expect(try await Self.keys("q/", kv) == ["q/0"])
            }
        }
    }

    @Test func anotherClientsDeleteFreesTheWaiter() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let locks = LockClient(wrapping: client)
                let kv = KVClient(wrapping: client)
                _ = try await kv.put(Etcdserverpb_PutRequest("door/1", ""))
                let second = Task { try await locks.lock(.init("door", lease: 0)) }
                try await waitForKey("door/0", kv)
                _ = try await h.withKV(3) { other in try await other.deleteRange(.init("door/1")) }
                #expect(try await second.value.keyString == "door/0")
            }
        }
    }

    /// etcd's lock server takes the lock with clientv3's Mutex.Lock, which deletes its key when
    /// its wait fails, as it does when the caller goes away: nothing is left behind.
    @Test func cancelledLockLeavesNoKeyOrWatch() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let locks = LockClient(wrapping: client)
                let kv = KVClient(wrapping: client)
                _ = try await kv.put(Etcdserverpb_PutRequest("gate/1", ""))
                let member = try #require(h.cluster.member(1))
                let watchersBefore = member.storeWatcherCount
                let waiting = Task { try await locks.lock(.init("gate", lease: 0)) }
                try await waitForKey("gate/0", kv)
                try await waitFor("the waiter's watch") { member.storeWatcherCount > watchersBefore }
                waiting.cancel()
                #expect(await rpcFailure { _ = try await waiting.value } != nil)
                try await waitUntil("the cancelled Lock's key to go") { try await Self.keys("gate/", kv) == ["gate/1"] }
                try await waitFor("the cancelled Lock's watch to go") { member.storeWatcherCount == watchersBefore }
            }
        }
    }

    /// etcd's lock server returns its embedded client's errors without a gRPC status: Unknown.
    /// A lease that was never granted is refused as etcd refuses it.
    @Test func errorsAreUnknownWithEtcdsText() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let locks = LockClient(wrapping: client)
                let empty = await rpcFailure { _ = try await locks.unlock(.init(key: Data())) }
                #expect(empty?.0 == .unknown && empty?.1 == "etcdserver: key is not provided")
                let noLease = await rpcFailure { _ = try await locks.lock(.init("job", lease: 0x7e57)) }
                #expect(noLease?.0 == .unknown && noLease?.1 == "etcdserver: requested lease not found")
                let left = try await Self.keys("job/", KVClient(wrapping: client))
                #expect(left.isEmpty)
            }
        }
    }

    /// A Lock runs as the user of its token, as etcd's runs its embedded client with the
    /// caller's context; a refusal comes back as Unknown with the text a KV call gets.
    @Test func locksRunAsTheCallersUser() async throws {
        try await APIHarness.with { h in
            try await h.withClient { client in
                let auth = Etcdserverpb_Auth.Client(wrapping: client)
                try await AuthServiceTests.setUp(auth)
                let root = try await AuthServiceTests.authenticate(auth, "root", "root-pw")
                let alice = try await AuthServiceTests.authenticate(auth, "alice", "alice-pw")
                let locks = LockClient(wrapping: client)
                let kv = KVClient(wrapping: client)
                let held = try await locks.lock(.init("job", lease: 0), metadata: ["token": .string(root)])
                #expect(held.keyString == "job/0")

                let putDenied = await rpcFailure { _ = try await kv.put(Etcdserverpb_PutRequest("job/0", ""), metadata: ["token": .string(alice)]) }
                let lockDenied = await rpcFailure { _ = try await locks.lock(.init("job", lease: 0), metadata: ["token": .string(alice)]) }
                #expect(putDenied != nil && lockDenied?.0 == .unknown && lockDenied?.1 == putDenied?.1)
                let putAnonymous = await rpcFailure { _ = try await kv.put(Etcdserverpb_PutRequest("job/0", "")) }
                let lockAnonymous = await rpcFailure { _ = try await locks.lock(.init("job", lease: 0)) }
                #expect(putAnonymous != nil && lockAnonymous?.0 == .unknown && lockAnonymous?.1 == putAnonymous?.1)
            }
        }
    }

    static func keys(_ prefix: String, _ kv: KVClient) async throws -> [String] {
        try await kv.range(.prefix(prefix)).kvs.map(\.keyString)
    }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let state = Mutex(false)

    func set() { state.withLock { $0 = true } }
    var isSet: Bool { state.withLock { $0 } }
}

/// Waits until `key` exists: a waiting Lock or Campaign has written its key.
func waitForKey(_ key: String, _ kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>) async throws {
    try await waitUntil("key \(key)") { try await !kv.range(.init(key)).kvs.isEmpty }
}

/// `waitFor` with a condition that calls the server.
func waitUntil(_ what: String, seconds: Double = 120, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try await !condition() {
        if ContinuousClock.now > deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

extension V3lockpb_LockRequest {
    init(_ name: String, lease: Int64) {
        self.init()
        self.name = bytes(name)
        self.lease = lease
    }
}

extension V3lockpb_UnlockRequest {
    init(key: Data) {
        self.init()
        self.key = key
    }
}

extension V3lockpb_LockResponse {
    var keyString: String { String(decoding: key, as: UTF8.self) }
}

extension Etcdserverpb_DeleteRangeRequest {
    init(_ key: String) {
        self.init()
        self.key = bytes(key)
    }
}
