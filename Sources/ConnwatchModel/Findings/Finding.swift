import Foundation

/// Where a line came from. Inputs fill what they know; encoders write the fields that are set.
package struct Origin: Sendable, Equatable {
    package var input: String?          // "file", "stdin", "argument", "journal"
    package var path: String?
    package var inode: UInt64?
    package var offset: UInt64?         // byte offset of the line's first byte (decompressed stream for .gz)
    package var cursor: String?
    package var unit: String?
    package var identifier: String?
    package var pid: String?
    package var hostname: String?
    package var realtimeMicros: UInt64?

    package init(input: String? = nil, path: String? = nil, inode: UInt64? = nil, offset: UInt64? = nil) {
        self.input = input; self.path = path; self.inode = inode; self.offset = offset
    }
}

/// One possible reading of an ambiguous connector error (the app stayed unknown).
package struct Candidate: Sendable, Equatable {
    package var app: String
    package var appName: String
    package var severity: Severity
    package var title: Localized
    package var remediation: Localized

    package init(app: String, appName: String, severity: Severity, title: Localized, remediation: Localized) {
        self.app = app; self.appName = appName; self.severity = severity; self.title = title; self.remediation = remediation
    }
}

/// An AADSTS code that appeared on the same line as a connector or graph finding, folded into it.
/// On a throttle summary: the window whose repeats `count` holds (the first occurrence was emitted on its own).
package struct ThrottleWindow: Sendable, Equatable {
    package var start: Date
    package var end: Date
    package var firstSeen: Date
    package var lastSeen: Date

    package init(start: Date, end: Date, firstSeen: Date, lastSeen: Date) {
        self.start = start; self.end = end; self.firstSeen = firstSeen; self.lastSeen = lastSeen
    }
}

package struct Related: Sendable, Equatable {
    package var rule: String
    package var code: String?
    package var codeName: String?
    package var severity: Severity
    package var title: Localized
    package var reference: String?

    package init(rule: String, code: String? = nil, codeName: String? = nil, severity: Severity, title: Localized, reference: String? = nil) {
        self.rule = rule; self.code = code; self.codeName = codeName; self.severity = severity; self.title = title; self.reference = reference
    }
}

/// Why a multi-line event is not whole.
package enum EventCut: String, Sendable, Equatable {
    /// The event continues one handed over at the grouping timeout: its first lines came after a pause longer
    /// than `timeout` in the middle of an event (the part before the pause was reported on its own).
    case timeout
    case maxLines = "max_lines"
    case maxBytes = "max_bytes"
}

/// The lines of a multi-line event a finding came from (redacted, bounded by the grouping's limits).
package struct EventLines: Sendable, Equatable {
    package var lines: [String]
    package var cut: EventCut?
    package init(lines: [String], cut: EventCut? = nil) { self.lines = lines; self.cut = cut }
}

/// One finding. JSON form and its versioning: docs/findings.md and schema/finding.schema.json.
package struct Finding: Sendable, Equatable {
    static let schemaVersion = 1

    /// When connwatch read the line (the journal: when the entry was written).
    package var time: Date?
    /// The machine that scanned.
    package var host: String?
    /// The event's own time: the journal's realtime timestamp, else the line's own timestamp.
    package var eventTime: Date?
    /// The machine the event happened on: the journal's `_HOSTNAME`, else a syslog line's host field.
    package var sourceHost: String?
    package var rule: String
    package var kind: RuleKind
    package var app: String?
    package var candidates: [Candidate] = []
    package var severity: Severity
    package var title: Localized
    package var remediation: Localized
    package var category: Category?
    package var codeName: String?
    package var reference: String?
    /// Named-group values in pattern order (redacted), e.g. code, http_status, trace_id.
    package var fields: [(name: String, value: String)] = []
    package var origin: Origin
    /// The matched line, redacted.
    package var line: String
    package var truncated: Bool = false
    /// The line held more findings than one line may give (Scanner.maxFindingsPerLine); the rest were dropped.
    package var capped: Bool = false
    /// Set when the finding came from an event of more than one line.
    package var event: EventLines?
    package var count: Int = 1
    package var related: [Related] = []
    /// Set on a throttle summary.
    package var throttle: ThrottleWindow?

    package func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    package static func == (a: Finding, b: Finding) -> Bool {
        a.rule == b.rule && a.kind == b.kind && a.app == b.app && a.candidates == b.candidates
            && a.severity == b.severity && a.title == b.title && a.remediation == b.remediation
            && a.category == b.category && a.codeName == b.codeName && a.reference == b.reference
            && a.fields.elementsEqual(b.fields, by: { $0.name == $1.name && $0.value == $1.value })
            && a.origin == b.origin && a.line == b.line && a.truncated == b.truncated && a.capped == b.capped && a.count == b.count
            && a.related == b.related && a.throttle == b.throttle && a.time == b.time && a.host == b.host
            && a.eventTime == b.eventTime && a.sourceHost == b.sourceHost && a.event == b.event
    }

    /// The memberwise initializer, spelled out because other targets (the engine, the throttle) build findings.
    package init(time: Date? = nil, host: String? = nil, eventTime: Date? = nil, sourceHost: String? = nil,
                 rule: String, kind: RuleKind, app: String? = nil, candidates: [Candidate] = [], severity: Severity,
                 title: Localized, remediation: Localized, category: Category? = nil, codeName: String? = nil,
                 reference: String? = nil, fields: [(name: String, value: String)] = [], origin: Origin, line: String,
                 truncated: Bool = false, capped: Bool = false, event: EventLines? = nil, count: Int = 1,
                 related: [Related] = [], throttle: ThrottleWindow? = nil) {
        self.time = time; self.host = host; self.eventTime = eventTime; self.sourceHost = sourceHost
        self.rule = rule; self.kind = kind; self.app = app; self.candidates = candidates; self.severity = severity
        self.title = title; self.remediation = remediation; self.category = category; self.codeName = codeName
        self.reference = reference; self.fields = fields; self.origin = origin; self.line = line
        self.truncated = truncated; self.capped = capped; self.event = event; self.count = count
        self.related = related; self.throttle = throttle
    }
}
