import Foundation
import ConnwatchModel
import ConnwatchEngine

/// The one place a finding gets its stamps, whichever command and input produced it: `host` (this machine),
/// `time` (when it was read; for the journal, when the entry was written), `event_time` (the journal's
/// timestamp, else the line's own) and `source_host` (the journal's `_HOSTNAME`, else a syslog line's host).
package struct Enricher: Sendable {
    package var host: String?
    package var timeZone: TimeZone

    package init(host: String? = Enricher.hostname(), timeZone: TimeZone = .current) {
        self.host = host
        self.timeZone = timeZone
    }

    package func stamp(_ f: inout Finding, now: Date = Date()) {
        if f.host == nil { f.host = host }
        let journalTime = f.origin.realtimeMicros.map { Date(timeIntervalSince1970: Double($0) / 1e6) }
        if f.time == nil { f.time = journalTime ?? now }
        if f.eventTime == nil {
            // Only findings pay for this: the lines are parsed here, not while scanning.
            f.eventTime = journalTime ?? LineStamp.time(f.event?.lines ?? [f.line], now: now, timeZone: timeZone)
        }
        if f.sourceHost == nil {
            f.sourceHost = f.origin.hostname ?? LineStamp.syslogHost(f.event?.lines.first ?? f.line)
        }
    }

    package static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
