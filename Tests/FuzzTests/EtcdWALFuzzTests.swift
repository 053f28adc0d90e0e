import Check
import Foundation
import Server
import Testing
import WAL

/// The etcd WAL decoder fed a real etcd segment and seeded mutations of it: it reads the real one
/// whole, and for every mutation returns what it read and how it stopped, or an error, never
/// crashing or hanging. A failure names the seed.
@Suite struct EtcdWALFuzzTests {
    static func withSegment(_ body: (_ directory: String, _ path: String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "rafttop-etcdfuzz-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory, directory + "/" + EtcdSegmentFixture.name)
    }

    @Test func realSegmentDecodes() throws {
        try Self.withSegment { directory, path in
            try Data(EtcdSegmentFixture.bytes).write(to: URL(fileURLWithPath: path))
            let contents = try EtcdWALContents.read(directory: directory)
            #expect(contents.corruption == nil)
            #expect(contents.tornTail == nil)
            #expect(contents.hardState.commit == 17)
            let summaries = contents.entries.map { LogEntryView($0).summary }
            #expect(summaries.count == 17)
            #expect(summaries.first?.hasPrefix("conf add member ") == true)
            for expected in ["put k1 = 5 B", "put k2 = 100 B", "put k3 = 6 B", "delete k1", "txn 1 cmp, 1/1 ops",
                             "compact @3", "user add alice", "role add r1", "role grant r1 readwrite k", "user grant alice r1"] {
                #expect(summaries.contains(expected), "\(expected) missing from \(summaries)")
            }
            #expect(summaries.contains { $0.hasPrefix("lease grant ") && $0.hasSuffix(" ttl 60s") })
            #expect(summaries.contains { $0.hasPrefix("method=PUT path=\"/0/version\"") })
        }
    }

    @Test(arguments: [11, 12, 13] as [UInt64]) func mutatedSegments(seed: UInt64) throws {
        try Self.withSegment { directory, path in
            var mutator = Mutator(seed: seed)
            let corpus = [EtcdSegmentFixture.bytes]
            for iteration in 0..<1_500 {
                let input = mutator.mutate(EtcdSegmentFixture.bytes, corpus: corpus)
                try Data(input).write(to: URL(fileURLWithPath: path))
                do throws(EtcdWALError) {
                    let contents = try EtcdWALContents.read(directory: directory)
                    _ = contents.entries.map(LogEntryView.init)
                    // Whatever stopped the read is named by file, and the entries before it are whole.
                    if let corruption = contents.corruption, let position = corruption.position {
                        #expect(position.file == path, "seed \(seed) iteration \(iteration)")
                        #expect(position.offset >= 0 && position.offset <= input.count, "seed \(seed) iteration \(iteration)")
                    }
                } catch {
                    #expect(error.description.isEmpty == false)
                }
                _ = EtcdWALTail(dataDirectory: directory).latest(50)
            }
        }
    }

    @Test func mutatedRequests() throws {
        try Self.withSegment { directory, path in
            try Data(EtcdSegmentFixture.bytes).write(to: URL(fileURLWithPath: path))
            let corpus = try EtcdWALContents.read(directory: directory).entries.map(\.data).filter { !$0.isEmpty }
            var mutator = Mutator(seed: 14)
            for _ in 0..<20_000 {
                for type: UInt64 in [0, 1, 2] {
                    let data = mutator.mutate(corpus[mutator.below(corpus.count)], corpus: corpus)
                    let view = LogEntryView(EtcdEntry(term: 1, index: 1, type: type, data: data))
                    #expect(view.sizeBytes == data.count)
                }
            }
        }
    }
}
