import Cluster

/// The put path tour: one put followed stage by stage through etcd's code, as the seed
/// documents (server/etcdserver/v3_server.go, raft/node.go) and etcd's raft loop walk it.
enum PutPathTour {
    static let key = "tour"
    static let value = "hello"

    /// The stages for a cluster led by `leader`; `followers` in the order their disks finish
    /// (their syncs take `followerSyncMillis` each), `networkMillis` one way.
    static func stages(leader l: NodeID, followers: [NodeID], leaderSyncMillis: Int, followerSyncMillis: [NodeID: Int],
                       networkMillis: Int, requestTimeoutMillis: Int) -> [TourStage] {
        let leader = "m\(l)"
        @Sendable func pending(_ o: TourObservation) -> Bool { (o.status(l)?.proposalsPending ?? 0) >= 1 }
        var stages: [TourStage] = [
            TourStage("EtcdServer.Put · raftRequest", file: "server/etcdserver/v3_server.go",
                      caption: "etcdctl put \(key) \(value) arrives as a gRPC KV.Put at the leader \(leader). EtcdServer.Put wraps the PutRequest in an InternalRaftRequest; raftRequest calls raftRequestOnce, which calls processInternalRaftRequestOnce (again only if the auth revision moved meanwhile).",
                      areas: [.memberRow(l)], action: .put(key: key, value: value), happened: pending),
            TourStage("processInternalRaftRequestOnce · maxGapBetweenApplyAndCommitIndex", file: "server/etcdserver/v3_server.go",
                      caption: "First check: if the committed index is more than 5,000 entries ahead of the applied index, the apply loop is drowning and etcd refuses new work with ErrTooManyRequests. Compare COMMIT and APPLIED: here they are level.",
                      areas: [.memberColumn("COMMIT"), .memberColumn("APPLIED")]) { o in
                guard pending(o), let s = o.status(l) else { return false }
                return s.raft.commit <= s.appliedIndex + 5000
            },
            TourStage("reqIDGen.Next", file: "pkg/idutil/id.go (called in v3_server.go)",
                      caption: "The request gets a unique id: the member id in the top 16 bits, then the start time in ms, then a counter. It goes into the request header and is the key the answer will come back under.",
                      areas: [.memberRow(l)], happened: pending),
            TourStage("AuthInfoFromCtx", file: "server/etcdserver/v3_server.go",
                      caption: "Auth info: with auth on, the user name and the auth revision it was checked at go into the header (r.Header.Username, AuthRevision), to be checked again at apply. Auth is off here, so the header carries none.",
                      areas: [.header], happened: pending),
            TourStage("r.Marshal · MaxRequestBytes", file: "server/etcdserver/v3_server.go",
                      caption: "The request is encoded (protobuf) and its size compared with MaxRequestBytes (--max-request-bytes, 1.5 MiB by default): a bigger one is refused with ErrRequestTooLarge before raft ever sees it.",
                      areas: [.memberRow(l)], happened: pending),
            TourStage("wait.Register · s.w.Register", file: "pkg/wait/wait.go (called in v3_server.go)",
                      caption: "wait.Register makes a channel under the request id; the apply loop will trigger it with the result. rafttop counts registered requests in PENDING (etcd's proposals_pending counts from the propose).",
                      areas: [.memberCell(l, "PENDING")], happened: pending),
            TourStage("context.WithTimeout · ReqTimeout", file: "server/etcdserver/v3_server.go, server/config/config.go",
                      caption: "The deadline: ReqTimeout is 5 s plus twice the election timeout, \(requestTimeoutMillis / 1000) s here. An answer not back by then fails with 'request timed out', though the entry may still commit later.",
                      areas: [.header], happened: pending),
            TourStage("s.r.Propose · node.Propose · stepWait", file: "raft/node.go (etcd-io/raft)",
                      caption: "node.Propose wraps the data in a MsgProp; stepWait (stepWithWaitOption, wait=true) hands it to raft's goroutine and waits until raft took it. rafttop's member queues it in its inbox for the raft loop's next cycle, at this same instant.",
                      areas: [.memberCell(l, "PENDING")], happened: pending),
            TourStage("propc · node.run", file: "raft/node.go (etcd-io/raft)",
                      caption: "node.run takes the MsgProp from propc and steps it into raft, then stepWait returns. In rafttop the raft loop drains its inbox and proposes the batch under one lock; LAST on \(leader) grows.",
                      areas: [.memberCell(l, "LAST"), .traceRow("proposed")]) { o in o.appended(l) },
            TourStage("raft.Step(MsgProp) · stepLeader · appendEntry", file: "raft/raft.go (etcd-io/raft)",
                      caption: "stepLeader appends the entry at the leader's last index + 1, in its term, to the unstable log (raftLog.append). It is not on disk yet: the WAL pane, which shows what is persisted, does not have it.",
                      areas: [.memberCell(l, "LAST"), .walMember(l), .traceRow("leader append")]) { o in o.appended(l) },
            TourStage("bcastAppend · Ready", file: "raft/raft.go, raft/rawnode.go (etcd-io/raft)",
                      caption: "bcastAppend queues a MsgApp for each follower; the next Ready carries the new entry (rd.Entries), the hard state, and those messages. etcd's raftNode.start (server/etcdserver/raft.go) receives it.",
                      areas: [.memberRow(l), .messagesPane]) { o in
                o.appended(l) && !o.inFlight(.app, from: l).isEmpty
            },
            TourStage("r.transport.Send(MsgApp)", file: "server/etcdserver/raft.go",
                      caption: "The leader sends its MsgApps before writing its own WAL: etcd's comment says the leader can write to its disk in parallel with replicating to the followers. Messages pane: one MsgApp per follower, +1 entry, arriving in \(networkMillis) ms.",
                      areas: [.messagesPane]) { o in
                guard let put = o.put else { return false }
                let carrying = Set(o.inFlight(.app, from: l).filter { m in m.entryIndices?.contains(put.index) == true }.map(\.to))
                return followers.allSatisfy { carrying.contains($0) || o.appended($0) }
            },
            TourStage("r.storage.Save · WAL.Save", file: "server/storage/wal/wal.go",
                      caption: "The same Ready's entries and hard state are written to the leader's WAL. The Ready must sync (MustSync: new entries), so WAL.Save ends in an fsync, which takes \(leaderSyncMillis) ms on this simulated disk.",
                      areas: [.walMember(l), .memberCell(l, "FSYNC")]) { o in o.appended(l) },
            TourStage("WAL.sync · fileutil.Fdatasync", file: "server/storage/wal/wal.go",
                      caption: "The fsync returns: the entry is durable on the leader, and the WAL pane shows it, ○ uncommitted. raftNode calls node.Advance, and raft counts the leader's own copy towards the quorum.",
                      areas: [.walMember(l), .memberCell(l, "FSYNC"), .traceRow("leader fsync")]) { o in o.durable(l) },
        ]
        for f in followers {
            stages.append(TourStage("handleAppendEntries · raftLog.maybeAppend", file: "raft/raft.go, raft/log.go (etcd-io/raft)",
                                    caption: "m\(f) receives the MsgApp \(networkMillis) ms after it left. Its raft checks that its log holds the previous entry with the same term (log matching), then appends the new one to its unstable log: LAST grows.",
                                    areas: [.memberCell(f, "LAST"), .messagesPane]) { o in o.appended(f) })
        }
        for f in followers {
            let millis = followerSyncMillis[f] ?? 0
            stages.append(TourStage("WAL.Save · fsync (follower)", file: "server/storage/wal/wal.go",
                                    caption: "m\(f)'s Ready carries the entry, and its raftNode writes and fsyncs it (\(millis) ms on this disk) before answering: a follower acknowledges only what is durable. m\(f)'s WAL column shows it now.",
                                    areas: [.walMember(f)]) { o in o.durable(f) })
            stages.append(TourStage("MsgAppResp", file: "raft/raft.go (handleAppendEntries), server/etcdserver/raft.go",
                                    caption: "After the fsync m\(f) sends MsgAppResp with the index it now holds. When it reaches the leader, stepLeader moves m\(f)'s Progress (MaybeUpdate): MATCH/NEXT on m\(f)'s row, where the screen is wide enough for it.",
                                    areas: [.messagesPane, .memberCell(f, "MATCH/NEXT"), .traceRow("ack from m\(f)")]) { o in
                guard let put = o.put else { return false }
                let sent = o.inFlight(.appResp, from: f).contains { $0.to == l && !$0.reject && $0.index >= put.index }
                let arrived = (o.status(l)?.raft.progress[f]?.match ?? 0) >= put.index
                return sent || arrived
            })
        }
        stages += [
            TourStage("maybeCommit · raftLog.maybeCommit", file: "raft/raft.go, raft/quorum/majority.go (etcd-io/raft)",
                      caption: "A MsgAppResp arrives: maybeCommit takes the index a majority holds (CommittedIndex over the match indexes). A quorum is enough: COMMIT moves on \(leader) while a slower follower's MsgAppResp may still be on its way. (The simulator applies in the same instant: see the next stage.)",
                      areas: [.memberCell(l, "COMMIT"), .memberColumn("MATCH/NEXT"), .traceRow("committed")]) { o in
                guard let put = o.put else { return false }
                return (o.status(l)?.raft.commit ?? 0) >= put.index
            },
            TourStage("applyAll · applyEntryNormal · applyV3.Put", file: "server/etcdserver/server.go, server/etcdserver/apply.go",
                      caption: "The next Ready lists the entry in CommittedEntries; etcd's apply loop (applyAll, applyEntries, applyEntryNormal) decodes it and applyV3.Put writes \(key) into the MVCC store at a new revision. APPLIED moves; the WAL pane marks it ● applied.",
                      areas: [.memberCell(l, "APPLIED"), .walMember(l), .traceRow("applied")]) { o in
                guard let put = o.put else { return false }
                return (o.status(l)?.appliedIndex ?? 0) >= put.index
            },
            TourStage("wait.Trigger · s.w.Trigger", file: "pkg/wait/wait.go (called in server/etcdserver/server.go)",
                      caption: "applyEntryNormal calls wait.Trigger(id, result): the channel registered under the request id gets the result, and processInternalRaftRequestOnce's select returns it. PENDING drops; the trace pane now holds the put's stages.",
                      areas: [.memberCell(l, "PENDING"), .tracePane]) { o in
                o.trace?.respondedNanos != nil && o.trace?.error == nil
            },
            TourStage("PutResponse", file: "server/etcdserver/v3_server.go, api/etcdserverpb/rpc.proto",
                      caption: "EtcdServer.Put returns the PutResponse; its header carries the new revision and the raft term. The trace pane's 'responded' row ends the put, and the header's puts count grows.",
                      areas: [.traceRow("responded"), .header]) { o in
                guard let put = o.put else { return false }
                return o.snapshot.putsAcknowledged > put.acknowledgedBefore
            },
            TourStage("raftLog.commitTo · handleHeartbeat", file: "raft/raft.go, raft/log.go (etcd-io/raft)",
                      caption: "The followers learn the new commit index from the leader's next MsgApp (bcastAppend right after maybeCommit) or heartbeat, and apply the entry too. The answer did not wait for them.",
                      areas: [.memberColumn("APPLIED")]) { o in
                guard let put = o.put else { return false }
                return followers.allSatisfy { (o.status($0)?.appliedIndex ?? 0) >= put.index }
            },
        ]
        return stages
    }
}
