import Cluster

/// The failover tour: the leader dies, a follower's election timeout runs out, PreVote, the
/// vote, the new leader's empty entry, and the first put through the new leader.
enum FailoverTour {
    static let key = "after-failover"
    static let value = "hello"

    /// The stages for a cluster led by `leader` at `term`, whose last log index is `lastIndex`.
    static func stages(leader l: NodeID, term: UInt64, lastIndex: UInt64, electionMillis: Int) -> [TourStage] {
        let old = "m\(l)"
        /// The member that leads in a newer term than the old leader's.
        @Sendable func newLeader(_ o: TourObservation) -> MemberView? {
            o.members(in: .leader).first { $0.id != l && ($0.status?.raft.term ?? 0) > term }
        }
        return [
            TourStage("(rafttop: kill) · tickHeartbeat", file: "raft/raft.go (etcd-io/raft)",
                      caption: "rafttop crashes the leader \(old), as :kill would. While it led, tickHeartbeat sent a MsgHeartbeat every heartbeat interval; now none come, and the followers count ticks without hearing from a leader.",
                      areas: [.memberRow(l)], action: .kill(l)) { o in o.view(l)?.state == .down },
            TourStage("tickElection · MsgHup", file: "raft/raft.go (etcd-io/raft)",
                      caption: "A follower's electionElapsed reaches its randomized election timeout (between \(electionMillis) and \(2 * electionMillis) ms, so followers rarely time out together): tickElection steps a MsgHup, and with PreVote on, hup starts a pre-election.",
                      areas: [.memberColumn("ROLE")]) { o in
                !o.members(in: .preCandidate).isEmpty || !o.members(in: .candidate).isEmpty || newLeader(o) != nil
            },
            TourStage("becomePreCandidate · MsgPreVote", file: "raft/raft.go (etcd-io/raft)",
                      caption: "becomePreCandidate keeps the term (a pre-candidate disturbs no one) and asks every peer with MsgPreVote for term + 1, sending its last log term and index. ROLE reads pre-cand; the messages pane shows the MsgPreVotes.",
                      areas: [.memberColumn("ROLE"), .messagesPane]) { o in !o.inFlight(.preVote).isEmpty },
            TourStage("MsgPreVoteResp", file: "raft/raft.go (etcd-io/raft)",
                      caption: "A peer grants a pre-vote if the candidate's log is at least as up to date as its own and it has not heard from a leader within the election timeout. The grants come back as MsgPreVoteResp.",
                      areas: [.messagesPane]) { o in o.inFlight(.preVoteResp).contains { !$0.reject } },
            TourStage("becomeCandidate · campaign", file: "raft/raft.go (etcd-io/raft)",
                      caption: "With a quorum of pre-votes, campaign runs the real election: becomeCandidate raises the term by one and votes for itself. TERM moves past \(term); ROLE reads candidate.",
                      areas: [.memberColumn("TERM"), .memberColumn("VOTE")]) { o in
                o.members(in: .candidate).contains { ($0.status?.raft.term ?? 0) > term } || newLeader(o) != nil
            },
            TourStage("MsgVote", file: "raft/raft.go (etcd-io/raft)",
                      caption: "The candidate sends MsgVote for its new term to every peer, with its last log term and index; a peer votes for at most one candidate a term, and only for a log as up to date as its own.",
                      areas: [.messagesPane]) { o in o.inFlight(.vote).contains { $0.term > term } },
            TourStage("MsgVoteResp", file: "raft/raft.go (etcd-io/raft)",
                      caption: "The votes come back as MsgVoteResp; a granted vote is written as the voter's hard state (Vote) before it is sent, so a restart cannot vote twice. On wide screens the VOTE column shows whom each member voted for.",
                      areas: [.messagesPane, .memberColumn("VOTE")]) { o in o.inFlight(.voteResp).contains { !$0.reject && $0.term > term } },
            TourStage("poll · becomeLeader", file: "raft/raft.go (etcd-io/raft)",
                      caption: "poll counts the votes; with a quorum the candidate calls becomeLeader: it resets every follower's Progress (probe state, next = its last index + 1). The header and the members table name the new leader.",
                      areas: [.header, .memberColumn("ROLE")]) { o in newLeader(o) != nil },
            TourStage("becomeLeader · appendEntry (empty entry)", file: "raft/raft.go (etcd-io/raft)",
                      caption: "A new leader appends an empty entry in its term: it may commit entries of earlier terms only by committing one of its own. The WAL pane shows it as '(new leader)'; MsgApps carry it to the followers.",
                      areas: [.walPane, .messagesPane]) { o in
                guard let leader = newLeader(o) else { return false }
                return leader.log.contains { $0.kind == .empty && $0.index > lastIndex }
            },
            TourStage("maybeCommit (empty entry)", file: "raft/raft.go (etcd-io/raft)",
                      caption: "Once a quorum holds the empty entry, the new leader commits it, and with it everything before. etcd's apply of an empty entry writes nothing to the store (it notes the term's first commit); the leader now serves puts.",
                      areas: [.memberColumn("COMMIT"), .walPane]) { o in
                guard let leader = newLeader(o), let s = leader.status else { return false }
                return s.raft.commit > lastIndex && s.appliedIndex > lastIndex
            },
            TourStage("EtcdServer.Put (through the new leader)", file: "server/etcdserver/v3_server.go",
                      caption: "The first put after the failover: the client's retry reaches the new leader, and the put path runs as before, committed by the surviving quorum. The trace pane shows it, via the new leader.",
                      areas: [.tracePane, .header], action: .put(key: key, value: value)) { o in
                guard let put = o.put, let leader = newLeader(o) else { return false }
                return o.snapshot.putsAcknowledged > put.acknowledgedBefore && o.trace?.member == leader.id
            },
        ]
    }
}
