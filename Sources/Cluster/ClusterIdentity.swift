extension Cluster {
    /// The cluster's id, as every member's WAL records it and etcd's response headers carry it.
    public var clusterID: UInt64 {
        ClusterConfig.clusterID(memberCount: config.memberCount)
    }
}
