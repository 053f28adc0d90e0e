import Foundation
import Raft
import Server
import WAL

/// What `wal dump` prints, as text or JSON.
struct Dump {
    let snapshot: Snapshot?
    let warnings: [SnapshotWarning]
    let contents: WALReadResult
    let entries: [Entry]

    func text() -> String {
        var out = "Snapshot:\n"
        for warning in warnings { out += "  warning: \(warning)\n" }
        if let snapshot {
            let metadata = snapshot.metadata
            out += "  term=\(metadata.term) index=\(metadata.index) voters=\(metadata.confState.voters) data=\(snapshot.data.count) bytes\n"
        } else {
            out += "  empty\n"
        }
        out += "WAL metadata:\n"
        if let metadata = contents.metadata {
            out += "  memberID=\(hex(metadata.memberID)) clusterID=\(hex(metadata.clusterID))\n"
        } else {
            out += "  none\n"
        }
        let state = contents.hardState
        out += "WAL hard state:\n  term=\(state.term) vote=\(state.vote) commit=\(state.commit)\n"
        let markers = contents.snapshots.map { "(\($0.index), \($0.term))" }.joined(separator: " ")
        out += "WAL snapshot markers (index, term):\n  \(markers.isEmpty ? "none" : markers)\n"
        out += "WAL entries: \(entries.count)\n"
        out += "lastIndex=\(contents.entries.last?.index ?? 0)\n"
        out += pad("term", 6) + " " + pad("index", 10) + "  type  data\n"
        for entry in entries {
            out += pad(String(entry.term), 6) + " " + pad(String(entry.index), 10) + "  "
                + (entry.type == .normal ? "norm" : "conf") + "  " + Self.summary(of: entry) + "\n"
        }
        if let torn = contents.tornTail {
            out += "WAL tail torn (a crash cut the last write short; opening the WAL repairs it):\n  \(torn)\n"
        }
        if let corruption = contents.corruption {
            out += "WAL corrupt, reading stopped:\n  \(corruption)\n"
        }
        return out
    }

    func json() throws -> String {
        let document = Document(
            snapshot: snapshot.map {
                .init(term: $0.metadata.term, index: $0.metadata.index, voters: $0.metadata.confState.voters, dataBytes: $0.data.count)
            },
            snapshotWarnings: warnings.map(\.description),
            metadata: contents.metadata.map { .init(memberID: $0.memberID, clusterID: $0.clusterID) },
            hardState: .init(term: contents.hardState.term, vote: contents.hardState.vote, commit: contents.hardState.commit),
            snapshotMarkers: contents.snapshots.map { .init(index: $0.index, term: $0.term) },
            entries: entries.map {
                .init(term: $0.term, index: $0.index, type: $0.type == .normal ? "normal" : "confChange",
                      dataBytes: $0.data.count, summary: Self.summary(of: $0))
            },
            tornTail: contents.tornTail.map { .init(file: $0.file, offset: $0.offset, reason: $0.reason) },
            corruption: contents.corruption.map { error in
                if case .corrupt(let file, let offset, let problem) = error {
                    return .init(file: file, offset: offset, problem: problem.description)
                }
                return .init(file: "", offset: 0, problem: error.description)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    /// What the entry holds: a decoded request (`put k42 = 256 B`), a new leader's empty entry,
    /// or a configuration change.
    static func summary(of entry: Entry) -> String {
        LogEntryView(entry).summary
    }

    struct Document: Encodable {
        struct SnapshotInfo: Encodable { var term, index: UInt64; var voters: [UInt64]; var dataBytes: Int }
        struct Metadata: Encodable { var memberID, clusterID: UInt64 }
        struct State: Encodable { var term, vote, commit: UInt64 }
        struct Marker: Encodable { var index, term: UInt64 }
        struct EntryInfo: Encodable { var term, index: UInt64; var type: String; var dataBytes: Int; var summary: String }
        struct Torn: Encodable { var file: String; var offset: Int; var reason: String }
        struct Corruption: Encodable { var file: String; var offset: Int; var problem: String }

        var snapshot: SnapshotInfo?
        var snapshotWarnings: [String]
        var metadata: Metadata?
        var hardState: State
        var snapshotMarkers: [Marker]
        var entries: [EntryInfo]
        var tornTail: Torn?
        var corruption: Corruption?
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
}
