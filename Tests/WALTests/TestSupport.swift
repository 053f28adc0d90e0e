import Foundation
import Raft
@testable import WAL

/// A fresh directory under /tmp, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/rafttop-wal-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The two file systems every WAL test runs on.
enum DiskKind: String, CaseIterable, CustomStringConvertible {
    case posix
    case simulated

    var description: String { rawValue }
}

/// A file system and a WAL directory on it, kept alive for a test.
struct TestDisk {
    let fs: any FileSystem
    let directory: String
    let simulated: SimulatedDisk?
    private let temporary: TemporaryDirectory?

    init(_ kind: DiskKind) {
        switch kind {
        case .posix:
            let temporary = TemporaryDirectory()
            self.temporary = temporary
            fs = PosixFileSystem()
            directory = temporary.path + "/member-1/wal"
            simulated = nil
        case .simulated:
            let disk = SimulatedDisk()
            temporary = nil
            fs = disk
            directory = "/data/member-1/wal"
            simulated = disk
        }
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func bytes(of name: String) throws -> [UInt8] {
        let file = try fs.open(path(name))
        defer { file.close() }
        return try file.readAll()
    }

    /// Replaces a file's bytes, bypassing the WAL.
    func overwrite(_ name: String, with bytes: [UInt8]) throws {
        if let simulated {
            simulated.overwrite(path(name), with: bytes)
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        }
    }

    func segmentNames() throws -> [String] {
        try fs.list(directory).filter { $0.hasSuffix(".wal") }.sorted()
    }
}

let testMetadata = WALMetadata(memberID: 0x1111, clusterID: 0xC1C1)

func makeEntries(_ indexes: ClosedRange<UInt64>, term: UInt64, dataBytes: Int = 40) -> [Entry] {
    indexes.map { index in
        Entry(term: term, index: index, data: (0..<dataBytes).map { UInt8(truncatingIfNeeded: Int(index) &* 31 &+ $0) })
    }
}
