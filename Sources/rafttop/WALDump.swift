import ArgumentParser
import Foundation
import Raft
import WAL

/// `rafttop wal dump DIR`: what etcd-dump-logs prints, for a rafttop WAL.
struct WALDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print a WAL's snapshot, metadata, hard state and entries.",
        discussion: """
            DIR is a member directory (holding wal/ and snap/) or a wal directory, of rafttop or \
            of etcd (a data dir holding member/wal, or etcd's wal dir). The WAL is read without \
            changing it or taking its lock. A torn tail is reported and the command exits 0; \
            corruption before the tail is reported with its file and byte offset after what \
            came before it, and the command exits 1.
            """
    )

    @Argument(help: "A member directory or a WAL directory, rafttop's or etcd's.")
    var directory: String

    @Option(help: "Print entries from this index on.")
    var startIndex: UInt64 = 0

    @Option(help: "Print entries up to and including this index.")
    var endIndex: UInt64 = .max

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        if try dumpEtcd() { return }
        let fs = PosixFileSystem()
        let (walDirectory, snapDirectory) = locate(fs: fs)
        var warnings: [SnapshotWarning] = []
        var snapshot: Snapshot?
        if let snapDirectory {
            do {
                (snapshot, warnings) = try Snapshotter(fs: fs, directory: snapDirectory).loadNewest()
            } catch {
                warnings.append(SnapshotWarning(file: snapDirectory, error: error))
            }
        }
        let contents: WALReadResult
        do {
            contents = try WALReader.read(fs: fs, directory: walDirectory, from: nil)
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        let entries = contents.entries.filter { $0.index >= startIndex && $0.index <= endIndex }
        let dump = Dump(snapshot: snapshot, warnings: warnings, contents: contents, entries: entries)
        if json {
            print(try dump.json())
        } else {
            print(dump.text(), terminator: "")
        }
        if let corruption = contents.corruption {
            printError("\(corruption)")
            throw ExitCode.failure
        }
    }

    /// The WAL and snapshot directories DIR names.
    private func locate(fs: PosixFileSystem) -> (wal: String, snap: String?) {
        let memberWAL = directory + "/wal"
        if fs.exists(memberWAL) {
            let snap = directory + "/snap"
            return (memberWAL, fs.exists(snap) ? snap : nil)
        }
        let siblingSnap = directory + "/../snap"
        return (directory, fs.exists(siblingSnap) ? siblingSnap : nil)
    }
}

private func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}
