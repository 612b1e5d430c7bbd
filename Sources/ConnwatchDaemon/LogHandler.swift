import Foundation
import Logging
import ConnwatchModel

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
        FileHandle.standardError.write(Data(Self.line(priority: prefixes ? priority : nil, level: event.level, message: "\(event.message)\(meta)").utf8))
    }

    /// One message, one line: paths and values in a message may come from file names or log lines, and a newline
    /// in them would start a forged entry (`<0>…`) in the journal.
    package static func line(priority: Int?, level: Logger.Level, message: String) -> String {
        (priority.map { "<\($0)>" } ?? "connwatch: \(level): ") + VisibleText.escapingControls(message) + "\n"
    }
}
