/// The sequential specification of one key: what each operation does to the key's value and
/// what it must answer. The linearizability checker asks it whether an operation, applied at a
/// point, could have given the answer the client saw.
///
/// Multi-key transactions are not modelled: the workload's transactions compare and write one
/// key, so every history splits into independent per-key histories (linearizability is
/// compositional, so checking each key alone is checking the whole).
public enum KVModel {
    /// The key's value; nil when it is absent.
    public typealias State = String?

    /// Whether `input`, applied to `state`, could have answered `output`, and the state after it.
    /// An unknown output is any answer the operation could give.
    public static func step(_ state: State, _ input: KVInput, _ output: KVOutput) -> (legal: Bool, next: State) {
        switch input {
        case .get:
            if output == .unknown || output == .value(state) { return (true, state) }
            return (false, state)
        case .put(let value):
            if output == .unknown || output == .ok { return (true, value) }
            return (false, state)
        case .delete:
            if output == .unknown || output == .deleted(state != nil) { return (true, nil) }
            return (false, state)
        case .compareAndSet(let expected, let new):
            let holds = state == expected
            switch output {
            case .unknown:
                return (true, holds ? new : state)
            case .compareAndSet(let succeeded, let current):
                guard succeeded == holds else { return (false, state) }
                if succeeded { return (true, new) }
                return (current == state, state)
            default:
                return (false, state)
            }
        }
    }
}
