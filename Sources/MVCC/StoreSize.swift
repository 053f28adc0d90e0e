extension MVCCStore {
    /// The bytes the retained history holds: every kept key and value, plus a fixed cost per
    /// revision for its bookkeeping. etcd reports its database file's size in the same place;
    /// this store has no file, so this is the nearest measure of how large it has grown.
    public var retainedBytes: Int {
        let perRevisionBytes = 48
        var total = 0
        for kv in values.values {
            total += kv.key.count + kv.value.count + perRevisionBytes
        }
        for key in tombstones.values {
            total += key.count + perRevisionBytes
        }
        return total
    }
}
