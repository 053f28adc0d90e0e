/// etcd's Cluster service: the membership is fixed when the cluster starts, so only MemberList.
extension MemberAPI {
    public func memberList() throws(EtcdAPIError) -> Etcdserverpb_MemberListResponse {
        let member = try member()
        var out = Etcdserverpb_MemberListResponse()
        out.header = currentHeader(member)
        out.members = cluster.ids.map { id in
            var m = Etcdserverpb_Member()
            m.id = id
            m.name = "member-\(id)"
            // Members talk through rafttop's in-process network, which has no address.
            m.peerUrls = []
            m.clientUrls = directory.url(of: id).map { [$0] } ?? []
            return m
        }
        return out
    }
}
