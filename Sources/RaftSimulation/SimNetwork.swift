import Raft

/// The network between simulated members: a bounded list of messages in flight, each deliverable
/// from some step on, and at most one partition splitting the members in two.
struct SimNetwork {
    struct InFlight {
        var message: Message
        /// The first step at which the message may arrive.
        var deliverableAt: Int
    }

    /// A message past this many in flight is lost, as a full send queue drops it.
    let capacity: Int
    private(set) var inFlight: [InFlight] = []
    /// The members on one side of the partition; nil when the network is whole.
    private(set) var partitionSide: Set<NodeID>?

    init(capacity: Int) {
        precondition(capacity > 0, "the network needs room for at least one message")
        self.capacity = capacity
    }

    var isPartitioned: Bool { partitionSide != nil }

    /// Puts `message` in flight; returns false when the list is full and the message is lost.
    mutating func send(_ message: Message, deliverableAt step: Int) -> Bool {
        guard inFlight.count < capacity else { return false }
        inFlight.append(InFlight(message: message, deliverableAt: step))
        return true
    }

    /// Whether the partition keeps messages from `from` from reaching `to`.
    func isCut(from: NodeID, to: NodeID) -> Bool {
        guard let side = partitionSide else { return false }
        return side.contains(from) != side.contains(to)
    }

    /// The position in `inFlight` of the oldest message that may arrive at `step`.
    func firstDeliverable(at step: Int) -> Int? {
        inFlight.firstIndex { $0.deliverableAt <= step }
    }

    /// Positions in `inFlight` of the messages that may arrive at `step`, oldest first.
    func deliverable(at step: Int) -> [Int] {
        inFlight.indices.filter { inFlight[$0].deliverableAt <= step }
    }

    /// Takes the message at `position` out of flight.
    mutating func take(at position: Int) -> Message {
        inFlight.remove(at: position).message
    }

    /// Takes every message out of flight, oldest first.
    mutating func takeAll() -> [Message] {
        defer { inFlight = [] }
        return inFlight.map(\.message)
    }

    mutating func partition(side: Set<NodeID>) {
        partitionSide = side
    }

    mutating func heal() {
        partitionSide = nil
    }
}
