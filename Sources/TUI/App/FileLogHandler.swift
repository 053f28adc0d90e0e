import Locking
import Foundation
import Logging

/// A swift-log handler that appends lines to a file, so nothing logged ever reaches the screen
/// the UI draws on.
public struct FileLogHandler: LogHandler {
    /// The open file, shared by every logger made from it.
    public final class Sink: Sendable {
        public let path: String
        private let handle: Locked<FileHandle?>

        /// Opens (creating or appending to) the file at `path`; nil when it cannot be written.
        public init?(path: String) {
            guard FileManager.default.fileExists(atPath: path) || FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else { return nil }
            handle.seekToEndOfFile()
            self.path = path
            self.handle = Locked(handle)
        }

        func write(_ line: String) {
            handle.withLock { $0?.write(Data(line.utf8)) }
        }

        public func close() {
            handle.withLock { h in
                try? h?.close()
                h = nil
            }
        }
    }

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: Sink

    public init(label: String, sink: Sink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let fields = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = Date().timeIntervalSince1970
        sink.write("\(Format.fixed(time, places: 3)) \(event.level) \(label): \(event.message)\(fields)\n")
    }
}
