/// Every revision at which one key was written, grouped into generations: a generation runs
/// from the put that creates the key to the delete (tombstone) that ends it.
struct KeyIndex {
    struct Generation {
        var revisions: [Revision] = []
    }

    /// Never empty; the last generation is the key's current life, empty when the key is deleted.
    private(set) var generations: [Generation] = [Generation()]

    var isLive: Bool { !generations[generations.count - 1].revisions.isEmpty }

    /// The newest revision of any kind.
    var latest: Revision? {
        for g in generations.reversed() {
            if let last = g.revisions.last { return last }
        }
        return nil
    }

    /// The revision holding the key's current value, if it is live.
    var liveRevision: Revision? {
        generations[generations.count - 1].revisions.last
    }

    mutating func put(_ revision: Revision) {
        if let latest { precondition(revision > latest, "key revision \(revision) is not after \(latest)") }
        generations[generations.count - 1].revisions.append(revision)
    }

    /// Records a put at `revision`; returns the revision that held the value before it, if the
    /// key was live.
    mutating func put(returningLive revision: Revision) -> Revision? {
        let live = liveRevision
        put(revision)
        return live
    }

    /// Ends the current generation at `revision`, the delete's.
    mutating func tombstone(_ revision: Revision) {
        put(revision)
        generations.append(Generation())
    }

    /// The revision holding the key's value as of store revision `atMain`, or nil if the key
    /// did not exist then (never written yet, or deleted).
    func revision(atMain: Int64) -> Revision? {
        let last = generations.count - 1
        for g in stride(from: last, through: 0, by: -1) {
            let revs = generations[g].revisions
            guard let first = revs.first else { continue }
            // A finished generation ends with its tombstone: at or after it, the key is gone.
            if g != last, revs[revs.count - 1].main <= atMain { return nil }
            if first.main <= atMain {
                var i = revs.count - 1
                while revs[i].main > atMain { i -= 1 }
                return revs[i]
            }
        }
        return nil
    }

    /// Drops the revisions no read at `atMain` or later can see: in each generation everything
    /// before the newest revision at or before `atMain`, and whole generations that ended by then.
    /// Returns the dropped revisions. Afterwards `isEmpty` tells whether the key can be forgotten.
    mutating func compact(atMain: Int64) -> [Revision] {
        // The common case: one generation, the key never deleted. Keep its newest revision at or
        // before `atMain` and everything after.
        if generations.count == 1 {
            let revs = generations[0].revisions
            guard let keepFrom = revs.lastIndex(where: { $0.main <= atMain }), keepFrom > 0 else { return [] }
            generations[0].revisions.removeFirst(keepFrom)
            return Array(revs[..<keepFrom])
        }
        var dropped: [Revision] = []
        let last = generations.count - 1
        var kept: [Generation] = []
        for (g, generation) in generations.enumerated() {
            let revs = generation.revisions
            if g != last, let tomb = revs.last, tomb.main <= atMain {
                dropped.append(contentsOf: revs)
                continue
            }
            if let keepFrom = revs.lastIndex(where: { $0.main <= atMain }), keepFrom > 0 {
                dropped.append(contentsOf: revs[..<keepFrom])
                kept.append(Generation(revisions: Array(revs[keepFrom...])))
            } else {
                kept.append(generation)
            }
        }
        generations = kept
        return dropped
    }

    /// No revisions remain: the key exists in no readable revision.
    var isEmpty: Bool { generations.count == 1 && generations[0].revisions.isEmpty }
}
