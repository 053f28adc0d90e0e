import Server

/// Where the measured puts spent their time: for each step of the put path, the median over the
/// leader's most recent traces (a member keeps its last 256).
struct StageBreakdown {
    struct Step {
        var name: String
        var p50Micros: Double
    }

    var steps: [Step]
    var traces: Int

    init(_ traces: [StageTrace]) {
        let done = traces.filter { $0.error == nil && $0.respondedNanos != nil }
        self.traces = done.count
        func median(_ name: String, _ span: (StageTrace) -> (UInt64?, UInt64?)) -> Step? {
            var micros = done.compactMap { trace -> Double? in
                let (from, to) = span(trace)
                guard let from, let to, to >= from else { return nil }
                return Double(to - from) / 1000
            }
            guard !micros.isEmpty else { return nil }
            micros.sort()
            return Step(name: name, p50Micros: micros[micros.count / 2])
        }
        steps = [
            median("proposed") { ($0.receivedNanos, $0.proposedNanos) },
            median("appended") { ($0.proposedNanos, $0.leaderAppendedNanos) },
            median("leader fsync") { ($0.leaderAppendedNanos, $0.leaderSyncedNanos) },
            median("first ack") { ($0.leaderAppendedNanos, $0.followerAckNanos.values.min()) },
            median("committed") { ($0.leaderAppendedNanos, $0.committedNanos) },
            median("applied") { ($0.committedNanos, $0.appliedNanos) },
            median("answered") { ($0.appliedNanos, $0.respondedNanos) },
            median("in member") { ($0.receivedNanos, $0.respondedNanos) },
        ].compactMap { $0 }
    }

    /// One line: each step's median in microseconds; "first ack" and "committed" count from the
    /// leader's append, "in member" from the request's arrival to its answer, the others from
    /// the step before.
    var text: String {
        steps.map { "\($0.name) " + String(format: "%.0f", $0.p50Micros) }.joined(separator: "  ")
    }

    /// For `--json`: each step's median in microseconds, to tenths, named like `leader_fsync_us`.
    var jsonValue: [String: Double] {
        Dictionary(uniqueKeysWithValues: steps.map { ($0.name.replacingOccurrences(of: " ", with: "_") + "_us", $0.p50Micros.rounded(places: 1)) })
    }
}
