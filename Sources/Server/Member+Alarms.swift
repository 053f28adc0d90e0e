import MVCC
import Raft

/// The space quota and the NOSPACE alarm on a member's put path, as etcd's quotaKVServer and
/// applyEntryNormal raise it: a write that would take the store past its quota is refused before
/// it is proposed, and the member proposes the alarm through Raft, so every member caps its
/// store at the same point of the log.
extension Member {
    /// Whether a request fits the space quota; raises the alarm when it does not.
    func spaceAvailable(for operation: InternalRequest.Operation) -> Bool {
        let quota = config.spaceQuota
        guard quota.isEnabled else { return true }
        let cost = SpaceQuota.cost(of: operation)
        if quota.fits(costBytes: cost, sizeBytes: storeSizeBytes.load(ordering: .relaxed)) { return true }
        raiseNoSpaceAlarm()
        return false
    }

    /// Proposes the NOSPACE alarm for this member, unless it is up or being proposed already
    /// (etcd proposes it again for every refused write; once is enough to cap every member).
    func raiseNoSpaceAlarm() {
        guard !noSpaceRaised.load(ordering: .relaxed), !alarmProposalPending.exchange(true, ordering: .relaxed) else { return }
        propose(.alarm(AlarmOperation(action: .activate, memberID: id, alarm: .noSpace))) { [weak self] _ in
            self?.alarmProposalPending.store(false, ordering: .relaxed)
        }
    }

    /// A write applied past the quota was answered `noSpace` (etcd's quotaApplierV3): raise the alarm.
    func raiseNoSpaceAlarmIfRefused(_ answers: [(UInt64, Result<Response, ServerError>)]) {
        guard !noSpaceRaised.load(ordering: .relaxed) else { return }
        if answers.contains(where: { if case .failure(.noSpace) = $0.1 { true } else { false } }) {
            raiseNoSpaceAlarm()
        }
    }

    /// Copies the applied size and NOSPACE state where the put path reads them without the apply lock.
    func mirrorSpace(_ applier: Applier) {
        storeSizeBytes.store(applier.store.allocatedBytes, ordering: .relaxed)
        noSpaceRaised.store(applier.alarms.isRaised(.noSpace), ordering: .relaxed)
    }

    /// Proposes an alarm request (list, raise, disarm) and calls `completion` once it is applied.
    public func proposeAlarm(_ operation: AlarmOperation, credentials: Credentials, completion: @escaping Completion) {
        propose(.alarm(operation), credentials: credentials, completion: completion)
    }

    /// The alarms this member has applied, in a fixed order.
    public var alarms: [AlarmMember] {
        applier.withLock { $0.alarms.list(.none) }
    }
}
