import Foundation

/// One real etcd (Debian's etcd-server, 3.4) on free loopback ports in a temporary directory,
/// for the tests that read its WAL; stopped and removed by `stop()`. Tests using it are enabled
/// only when /usr/bin/etcd exists. A target of its own, so every test target that needs a real
/// etcd shares this one.
public final class RealEtcd: @unchecked Sendable {
    public static let binary = "/usr/bin/etcd"
    public static let etcdctl = "/usr/bin/etcdctl"
    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: binary) && FileManager.default.isExecutableFile(atPath: etcdctl)
    }

    public let root: String
    public var dataDirectory: String { root + "/data" }
    public let clientURL: String
    private let process = Process()

    public init() throws {
        root = NSTemporaryDirectory() + "rafttop-etcd-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let (clientPort, peerPort) = (try Self.freePort(), try Self.freePort())
        clientURL = "http://127.0.0.1:\(clientPort)"
        let peerURL = "http://127.0.0.1:\(peerPort)"
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--name", "m1", "--data-dir", dataDirectory,
            "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "m1=\(peerURL)",
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let log = root + "/etcd.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
    }

    /// Runs etcdctl (API 3) against this member, retrying while etcd starts; its output. Polls
    /// with `Task.sleep` rather than blocking, so the test holds none of the cooperative pool's threads.
    @discardableResult
    public func etcdctl(_ arguments: [String], attempts: Int = 100) async throws -> String {
        let outPath = root + "/etcdctl.out"
        for _ in 0..<attempts {
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            let ctl = Process()
            ctl.executableURL = URL(fileURLWithPath: Self.etcdctl)
            ctl.arguments = ["--endpoints", clientURL, "--dial-timeout", "1s"] + arguments
            ctl.environment = ["ETCDCTL_API": "3"]
            ctl.standardOutput = FileHandle(forWritingAtPath: outPath)
            ctl.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try ctl.run()
            while ctl.isRunning { try await Task.sleep(for: .milliseconds(10)) }
            ctl.waitUntilExit()
            if ctl.terminationStatus == 0 { return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EtcdFailure(message: "etcdctl \(arguments) kept failing")
    }

    /// Stops etcd (SIGTERM, then SIGKILL), waits for it, and removes its directory unless told
    /// to keep it (then the caller removes `root`).
    public func stop(keepFiles: Bool = false) async {
        if process.isRunning { process.terminate() }
        for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        if !keepFiles { try? FileManager.default.removeItem(atPath: root) }
    }

    public struct EtcdFailure: Error { public var message: String }

    /// A port the kernel hands out for loopback, free when this returns.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw EtcdFailure(message: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw EtcdFailure(message: "bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
