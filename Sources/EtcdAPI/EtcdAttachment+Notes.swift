import Cluster

extension EtcdAttachment {
    /// Adds a line to the events pane: what rafttop did to the members it launched.
    func note(_ text: String) {
        let now = nowNanos()
        state.withLock { $0.events.append(ClusterEvent(atNanos: now, kind: .note(text))) }
    }

    /// The members as the last poll saw them.
    var members: [AttachedMember] { state.withLock { $0.members } }
}
