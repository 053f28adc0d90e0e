import Cluster
import Raft
import Server

/// etcd's Cluster service: each change goes through Raft as one configuration change; a member
/// added is started in this process, a member removed is stopped. With auth on, changes need
/// the root role (etcd's checkMembershipOperationPermission).
extension MemberAPI {
    public func memberList() throws(EtcdAPIError) -> Etcdserverpb_MemberListResponse {
        let member = try member()
        var out = Etcdserverpb_MemberListResponse()
        out.header = currentHeader(member)
        out.members = member.membership.sorted.map(protoMember)
        return out
    }

    public func memberAdd(_ request: Etcdserverpb_MemberAddRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_MemberAddResponse {
        let member = try checkedMember(credentials)
        try checkURLs(request.peerUrls)
        let result = try await changed { cluster.addMember(peerURLs: request.peerUrls, isLearner: request.isLearner, completion: $0) }
        var out = Etcdserverpb_MemberAddResponse()
        out.header = currentHeader(member)
        out.member = protoMember(result.member)
        out.members = result.members.map(protoMember)
        return out
    }

    public func memberRemove(_ request: Etcdserverpb_MemberRemoveRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_MemberRemoveResponse {
        let member = try checkedMember(credentials)
        let result = try await changed { cluster.removeMember(request.id, completion: $0) }
        var out = Etcdserverpb_MemberRemoveResponse()
        out.header = currentHeader(member)
        out.members = result.members.map(protoMember)
        return out
    }

    public func memberUpdate(_ request: Etcdserverpb_MemberUpdateRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_MemberUpdateResponse {
        let member = try checkedMember(credentials)
        try checkURLs(request.peerUrls)
        let result = try await changed { cluster.updateMember(request.id, peerURLs: request.peerUrls, completion: $0) }
        var out = Etcdserverpb_MemberUpdateResponse()
        out.header = currentHeader(member)
        out.members = result.members.map(protoMember)
        return out
    }

    public func memberPromote(_ request: Etcdserverpb_MemberPromoteRequest, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_MemberPromoteResponse {
        let member = try checkedMember(credentials)
        let result = try await changed { cluster.promoteMember(request.id, completion: $0) }
        var out = Etcdserverpb_MemberPromoteResponse()
        out.header = currentHeader(member)
        out.members = result.members.map(protoMember)
        return out
    }

    /// The running member, once the caller may change the membership.
    private func checkedMember(_ credentials: Credentials) throws(EtcdAPIError) -> Member {
        let member = try member()
        do throws(AuthError) {
            let username = try member.authInfo(credentials).username
            try member.authState.checkAdmin(username: username)
        } catch {
            throw .auth(error)
        }
        return member
    }

    /// etcd's URL check (types.NewURLs): each peer URL is http or https with a host and port,
    /// within the bounds every member holds.
    private func checkURLs(_ urls: [String]) throws(EtcdAPIError) {
        guard !urls.isEmpty, MemberInfo.boundsProblem(name: "", peerURLs: urls) == nil else {
            throw .membership(.badURLs("peer URLs"))
        }
        for url in urls {
            let scheme = url.hasPrefix("http://") ? "http://" : url.hasPrefix("https://") ? "https://" : nil
            guard let scheme else { throw .membership(.badURLs(url)) }
            let hostPort = url.dropFirst(scheme.count)
            guard let colon = hostPort.lastIndex(of: ":"), colon != hostPort.startIndex,
                  let port = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(port) else {
                throw .membership(.badURLs(url))
            }
        }
    }

    private func changed(_ start: (@escaping MembershipCompletion) -> Void) async throws(EtcdAPIError) -> MembershipChangeResult {
        let result = await withCheckedContinuation { continuation in
            start { continuation.resume(returning: $0) }
        }
        let change = try result.get(orThrow: EtcdAPIError.init)
        await catchUp()
        return change
    }

    /// The change was applied where it was proposed (the leader); as in etcd, where the member
    /// that takes the request proposes it and answers once it applied it, the answer waits until
    /// this member applied as far, so that a MemberList sent to it next shows the change. A
    /// member cut off from the leader answers after `catchUpWait` anyway.
    private func catchUp() async {
        guard let leader = cluster.leader, let applied = cluster.member(leader)?.appliedIndexNow,
              let member = try? member() else { return }
        let deadline = ContinuousClock.now + Self.catchUpWait
        while member.appliedIndexNow < applied, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    static let catchUpWait: Duration = .seconds(5)

    /// A member as etcd's API shows it: client URLs as the member published them, or where this
    /// process serves it.
    private func protoMember(_ info: MemberInfo) -> Etcdserverpb_Member {
        var m = Etcdserverpb_Member()
        m.id = info.id
        m.name = info.name
        m.peerUrls = info.peerURLs
        m.clientUrls = info.clientURLs.isEmpty ? (directory.url(of: info.id).map { [$0] } ?? []) : info.clientURLs
        m.isLearner = info.isLearner
        return m
    }
}
