import Raft

/// How hostile one run is: the rates and weights of every fault, chosen from the seed so that
/// some runs are calm and some are storms.
struct FaultProfile: Sendable {
    /// Chance, per mille, that a sent message is lost, duplicated, or delayed.
    var lossPerMille: Int
    var duplicatePerMille: Int
    var delayPerMille: Int
    /// The most steps a delayed message waits.
    var delayStepsMax: Int
    /// Chance, per mille, that a delivery takes a random message rather than the oldest.
    var reorderPerMille: Int
    /// Relative weights of the step kinds.
    var weights: [(StepKind, Int)]

    enum StepKind: CaseIterable {
        case deliver
        case tick
        case propose
        case readIndex
        case crash
        case restart
        case partition
        case heal
        case compact
        case transferLeadership
    }

    init(random: inout SimRandom) {
        lossPerMille = random.pick([0, 0, 20, 50, 150])
        duplicatePerMille = random.pick([0, 10, 50])
        delayPerMille = random.pick([0, 50, 200])
        delayStepsMax = random.pick([3, 10, 40])
        reorderPerMille = random.pick([0, 100, 400])
        let crashWeight = random.pick([0, 5, 15])
        let partitionWeight = random.pick([0, 5, 15])
        weights = [
            (.deliver, 560),
            (.tick, 150),
            (.propose, 120),
            (.readIndex, 20),
            (.crash, crashWeight),
            (.restart, 25),
            (.partition, partitionWeight),
            (.heal, 20),
            (.compact, random.pick([20, 60])),
            (.transferLeadership, random.pick([0, 5, 15])),
        ]
    }

    /// A step kind drawn by weight.
    func nextStep(random: inout SimRandom) -> StepKind {
        let total = weights.reduce(0) { $0 + $1.1 }
        var roll = random.below(total)
        for (kind, weight) in weights {
            if roll < weight { return kind }
            roll -= weight
        }
        preconditionFailure("weights do not add up")
    }
}
