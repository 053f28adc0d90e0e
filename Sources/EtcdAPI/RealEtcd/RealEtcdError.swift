/// Why real etcd members could not be launched or controlled.
public enum RealEtcdError: Error, Sendable, CustomStringConvertible {
    case binaryNotFound(String)
    case socket(String)
    case dataDirectory(String, String)
    case launch(String, String)
    case badMembers(Int)
    case noLeader(Double)

    public var description: String {
        switch self {
        case .binaryNotFound(let name): "etcd binary \"\(name)\" not found or not executable (install etcd-server, or give --etcd PATH)"
        case .socket(let why): "peer proxy: \(why)"
        case .dataDirectory(let path, let why): "data directory \(path): \(why)"
        case .launch(let name, let why): "could not start \(name): \(why)"
        case .badMembers(let n): "--members must be 1 to 9, not \(n)"
        case .noLeader(let seconds): "the launched etcd members elected no leader within \(Int(seconds)) s"
        }
    }
}
