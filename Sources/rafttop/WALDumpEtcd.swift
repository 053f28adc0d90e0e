import ArgumentParser
import Foundation
import Server
import WAL

/// `rafttop wal dump` of a real etcd member's WAL, as etcd-dump-logs prints it: the newest
/// snapshot, the WAL's metadata and hard state, then every entry with its term, index, type and
/// decoded request.
struct EtcdDump {
    let walDirectory: String
    let snapshot: EtcdSnapshotFile?
    let snapshotError: EtcdWALError?
    let contents: EtcdWALContents
    let entries: [EtcdEntry]

    init(walDirectory: String, startIndex: UInt64, endIndex: UInt64) throws(EtcdWALError) {
        self.walDirectory = walDirectory
        contents = try EtcdWALContents.read(directory: walDirectory)
        entries = contents.entries.filter { $0.index >= startIndex && $0.index <= endIndex }
        let snapDirectory = (walDirectory as NSString).deletingLastPathComponent + "/snap"
        do {
            snapshot = try EtcdSnapshotFile.newest(in: snapDirectory)
            snapshotError = nil
        } catch {
            snapshot = nil
            snapshotError = error
        }
    }

    func text() -> String {
        var out = "etcd WAL: \(walDirectory)\nSnapshot:\n"
        if let snapshotError { out += "  warning: \(snapshotError)\n" }
        if let snapshot {
            out += "  term=\(snapshot.term) index=\(snapshot.index) voters=\(snapshot.voters.map { hex($0) }) data=\(snapshot.dataBytes) bytes\n"
        } else {
            out += "  empty\n"
        }
        let state = contents.hardState
        out += "WAL metadata:\n"
        out += "  nodeID=\(contents.nodeID.map(hex) ?? "none") clusterID=\(contents.clusterID.map(hex) ?? "none")"
            + " term=\(state.term) commitIndex=\(state.commit) vote=\(hex(state.vote))\n"
        let markers = contents.snapshots.map { "(\($0.index), \($0.term))" }.joined(separator: " ")
        out += "WAL snapshot markers (index, term):\n  \(markers.isEmpty ? "none" : markers)\n"
        out += "WAL entries: \(entries.count)\n"
        out += "lastIndex=\(contents.entries.last?.index ?? 0)\n"
        out += "term\t     index\ttype\tdata\n"
        for entry in entries {
            out += pad(String(entry.term), 4) + "\t" + pad(String(entry.index), 10) + "\t" + entry.typeName + "\t"
                + LogEntryView(entry).summary + "\n"
        }
        let normal = entries.filter { $0.kind == .normal }.count
        out += "\nEntry types (Normal,ConfigChange) count is : \(normal),\(entries.count - normal)\n"
        if let torn = contents.tornTail {
            out += "WAL tail torn (a crash or a write in progress cut the last frame short):\n  \(torn)\n"
        }
        if let corruption = contents.corruption {
            out += "WAL corrupt, reading stopped:\n  \(corruption)\n"
        }
        return out
    }

    func json() throws -> String {
        let state = contents.hardState
        let document = Document(
            format: "etcd",
            snapshot: snapshot.map { .init(term: $0.term, index: $0.index, voters: $0.voters, dataBytes: $0.dataBytes) },
            snapshotWarnings: snapshotError.map { [$0.description] } ?? [],
            metadata: contents.nodeID.map { .init(memberID: $0, clusterID: contents.clusterID ?? 0) },
            hardState: .init(term: state.term, vote: state.vote, commit: state.commit),
            snapshotMarkers: contents.snapshots.map { .init(index: $0.index, term: $0.term) },
            entries: entries.map {
                let view = LogEntryView($0)
                return .init(term: $0.term, index: $0.index, type: $0.typeName, dataBytes: $0.data.count, summary: view.summary)
            },
            tornTail: contents.tornTail.map { .init(file: $0.file, offset: $0.offset, reason: $0.reason) },
            corruption: contents.corruption.map { error in
                .init(file: error.position?.file ?? "", offset: error.position?.offset ?? 0, problem: error.description)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    struct Document: Encodable {
        var format: String
        var snapshot: Dump.Document.SnapshotInfo?
        var snapshotWarnings: [String]
        var metadata: Dump.Document.Metadata?
        var hardState: Dump.Document.State
        var snapshotMarkers: [Dump.Document.Marker]
        var entries: [Dump.Document.EntryInfo]
        var tornTail: Dump.Document.Torn?
        var corruption: Dump.Document.Corruption?
    }
}

extension WALDump {
    /// Dumps DIR if it is an etcd data, member or wal directory in etcd's format; false if not.
    func dumpEtcd() throws -> Bool {
        guard let walDirectory = EtcdWALDirectory.locate(directory), EtcdWALDirectory.isEtcdFormat(walDirectory) else {
            return false
        }
        let dump: EtcdDump
        do {
            dump = try EtcdDump(walDirectory: walDirectory, startIndex: startIndex, endIndex: endIndex)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            print(try dump.json())
        } else {
            print(dump.text(), terminator: "")
        }
        if let corruption = dump.contents.corruption {
            FileHandle.standardError.write(Data("error: \(corruption)\n".utf8))
            throw ExitCode.failure
        }
        if let torn = dump.contents.tornTail {
            FileHandle.standardError.write(Data("note: torn tail: \(torn)\n".utf8))
        }
        return true
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

private func hex(_ value: UInt64) -> String { String(value, radix: 16) }
