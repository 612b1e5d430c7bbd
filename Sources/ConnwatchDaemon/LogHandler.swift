import Foundation
import Logging

/// swift-log to stderr with sd-daemon(3) priority prefixes (`<3>` …), so journald files each message at its
/// level when connwatch runs as a service; plain text elsewhere.
package struct StderrLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    let label: String
    let prefixes: Bool

    package init(label: String, prefixes: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.prefixes = prefixes
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let priority: Int
        switch event.level {
        case .trace, .debug: priority = 7
        case .info: priority = 6
        case .notice: priority = 5
        case .warning: priority = 4
        case .error: priority = 3
        case .critical: priority = 2
        }
        let line = (prefixes ? "<\(priority)>" : "connwatch: \(event.level): ") + "\(event.message)\(meta)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
