import Testing
@testable import Raft

/// Progress: what a leader knows of one follower, and the probe / replicate / snapshot states.
@Suite struct ProgressTests {
    func makeProgress(match: UInt64, next: UInt64, state: ProgressState = .probe) -> Progress {
        var pr = Progress(next: next, maxInflight: 4, maxInflightBytes: 0)
        if match > 0 { _ = pr.maybeUpdate(match) }
        switch state {
        case .probe: break
        case .replicate: pr.becomeReplicate()
        case .snapshot: pr.becomeSnapshot(index: next - 1)
        }
        return pr
    }

    @Test func maybeUpdateMovesMatchAndNext() {
        var pr = makeProgress(match: 3, next: 5)
        #expect(pr.maybeUpdate(2) == false)
        #expect(pr.match == 3 && pr.next == 5)
        #expect(pr.maybeUpdate(3) == false)
        #expect(pr.maybeUpdate(4) == true)
        #expect(pr.match == 4 && pr.next == 5)
        #expect(pr.maybeUpdate(6) == true)
        #expect(pr.match == 6 && pr.next == 7)
    }

    @Test func maybeUpdateUnpausesAProbe() {
        var pr = makeProgress(match: 0, next: 5)
        pr.sentEntries(1, bytes: 1)
        #expect(pr.isPaused)
        _ = pr.maybeUpdate(5)
        #expect(!pr.isPaused)
    }

    @Test func decrInReplicateFallsBackToMatch() {
        var pr = makeProgress(match: 5, next: 10, state: .replicate)
        #expect(pr.next == 6)
        pr.sentEntries(4, bytes: 4)
        #expect(pr.next == 10)
        // A stale rejection at or below match is ignored.
        #expect(pr.maybeDecrTo(rejected: 5, matchHint: 5) == false)
        #expect(pr.maybeDecrTo(rejected: 4, matchHint: 4) == false)
        #expect(pr.next == 10)
        #expect(pr.maybeDecrTo(rejected: 9, matchHint: 9) == true)
        #expect(pr.next == 6)
    }

    @Test func decrInProbeUsesTheHint() {
        // (match, next, rejected, hint, accepted, next afterwards)
        let cases: [(UInt64, UInt64, UInt64, UInt64, Bool, UInt64)] = [
            (0, 10, 5, 5, false, 10),   // not the outstanding probe (next - 1 = 9)
            (0, 10, 9, 9, true, 9),     // hint equal to rejected: one back
            (0, 10, 9, 2, true, 3),     // hint skips back
            (0, 10, 9, 0, true, 1),
            (4, 10, 9, 2, true, 5),     // never below match + 1
            (0, 10, 9, 20, true, 9),    // a hint past rejected cannot move next forward
        ]
        for (match, next, rejected, hint, accepted, want) in cases {
            var pr = makeProgress(match: match, next: next)
            #expect(pr.maybeDecrTo(rejected: rejected, matchHint: hint) == accepted)
            #expect(pr.next == want, "rejected \(rejected) hint \(hint)")
        }
    }

    @Test func decrInProbeUnpauses() {
        var pr = makeProgress(match: 0, next: 5)
        pr.sentEntries(1, bytes: 1)
        #expect(pr.isPaused)
        #expect(pr.maybeDecrTo(rejected: 4, matchHint: 2) == true)
        #expect(!pr.isPaused)
    }

    @Test func probePausesAfterOneMsgAppWithEntries() {
        var pr = makeProgress(match: 0, next: 5)
        pr.sentEntries(0, bytes: 0)
        #expect(!pr.isPaused)
        pr.sentEntries(2, bytes: 2)
        #expect(pr.isPaused)
        // Probe does not move next optimistically.
        #expect(pr.next == 5)
    }

    @Test func replicatePipelinesUntilTheWindowIsFull() {
        var pr = makeProgress(match: 1, next: 2, state: .replicate)
        for i in 1...4 {
            #expect(!pr.isPaused)
            pr.sentEntries(1, bytes: 1)
            #expect(pr.next == UInt64(2 + i))
        }
        #expect(pr.isPaused)
        #expect(pr.inflights.count == 4)
    }

    @Test func snapshotStateIsAlwaysPaused() {
        var pr = makeProgress(match: 1, next: 2)
        pr.becomeSnapshot(index: 10)
        #expect(pr.state == .snapshot)
        #expect(pr.pendingSnapshot == 10)
        #expect(pr.next == 11)
        pr.msgAppFlowPaused = false
        #expect(pr.isPaused)
    }

    @Test func probeAfterSnapshotStartsPastTheSnapshot() {
        var pr = makeProgress(match: 1, next: 2)
        pr.becomeSnapshot(index: 10)
        pr.becomeProbe()
        #expect(pr.state == .probe)
        #expect(pr.next == 11)
        #expect(pr.pendingSnapshot == 0)

        var failed = makeProgress(match: 1, next: 2)
        failed.becomeSnapshot(index: 10)
        failed.pendingSnapshot = 0
        failed.becomeProbe()
        #expect(failed.next == 2)
    }

    @Test func becomeReplicateResetsTheWindow() {
        var pr = makeProgress(match: 3, next: 4, state: .replicate)
        pr.sentEntries(1, bytes: 1)
        pr.becomeProbe()
        #expect(pr.next == 4)
        #expect(pr.inflights.count == 0)
        pr.becomeReplicate()
        #expect(pr.next == 4)
        #expect(pr.inflights.count == 0)
    }
}
