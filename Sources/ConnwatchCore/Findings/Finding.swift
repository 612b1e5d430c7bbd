import Foundation

/// Where a line came from. Inputs fill what they know; encoders write the fields that are set.
public struct Origin: Sendable, Equatable {
    public var input: String?          // "file", "stdin", "argument", "journal"
    public var path: String?
    public var inode: UInt64?
    public var offset: UInt64?         // byte offset of the line's first byte (decompressed stream for .gz)
    public var cursor: String?
    public var unit: String?
    public var identifier: String?
    public var pid: String?
    public var hostname: String?
    public var realtimeMicros: UInt64?

    public init(input: String? = nil, path: String? = nil, inode: UInt64? = nil, offset: UInt64? = nil) {
        self.input = input; self.path = path; self.inode = inode; self.offset = offset
    }
}

/// One possible reading of an ambiguous connector error (the app stayed unknown).
public struct Candidate: Sendable, Equatable {
    public var app: String
    public var appName: String
    public var severity: Severity
    public var title: Localized
    public var remediation: Localized
}

/// An AADSTS code that appeared on the same line as a connector or graph finding, folded into it.
/// On a throttle summary: the window whose repeats `count` holds (the first occurrence was emitted on its own).
public struct ThrottleWindow: Sendable, Equatable {
    public var start: Date
    public var end: Date
    public var firstSeen: Date
    public var lastSeen: Date
}

public struct Related: Sendable, Equatable {
    public var rule: String
    public var code: String?
    public var codeName: String?
    public var severity: Severity
    public var title: Localized
    public var reference: String?
}

/// Why a multi-line event was handed over before it ended.
public enum EventCut: String, Sendable, Equatable {
    /// No line came within the grouping timeout (a following continuation line would start a new event).
    case timeout
    case maxLines = "max_lines"
    case maxBytes = "max_bytes"
}

/// The lines of a multi-line event a finding came from (redacted, bounded by the grouping's limits).
public struct EventLines: Sendable, Equatable {
    public var lines: [String]
    public var cut: EventCut?
    public init(lines: [String], cut: EventCut? = nil) { self.lines = lines; self.cut = cut }
}

/// One finding. JSON form and its versioning: docs/findings.md and schema/finding.schema.json.
public struct Finding: Sendable, Equatable {
    public static let schemaVersion = 1

    /// When connwatch read the line (the journal: when the entry was written).
    public var time: Date?
    /// The machine that scanned.
    public var host: String?
    /// The event's own time: the journal's realtime timestamp, else the line's own timestamp.
    public var eventTime: Date?
    /// The machine the event happened on: the journal's `_HOSTNAME`, else a syslog line's host field.
    public var sourceHost: String?
    public var rule: String
    public var kind: RuleKind
    public var app: String?
    public var candidates: [Candidate] = []
    public var severity: Severity
    public var title: Localized
    public var remediation: Localized
    public var category: Category?
    public var codeName: String?
    public var reference: String?
    /// Named-group values in pattern order (redacted), e.g. code, http_status, trace_id.
    public var fields: [(name: String, value: String)] = []
    public var origin: Origin
    /// The matched line, redacted.
    public var line: String
    public var truncated: Bool = false
    /// The line held more findings than one line may give (Scanner.maxFindingsPerLine); the rest were dropped.
    public var capped: Bool = false
    /// Set when the finding came from an event of more than one line.
    public var event: EventLines?
    public var count: Int = 1
    public var related: [Related] = []
    /// Set on a throttle summary.
    public var throttle: ThrottleWindow?

    public func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    public static func == (a: Finding, b: Finding) -> Bool {
        a.rule == b.rule && a.kind == b.kind && a.app == b.app && a.candidates == b.candidates
            && a.severity == b.severity && a.title == b.title && a.remediation == b.remediation
            && a.category == b.category && a.codeName == b.codeName && a.reference == b.reference
            && a.fields.elementsEqual(b.fields, by: { $0.name == $1.name && $0.value == $1.value })
            && a.origin == b.origin && a.line == b.line && a.truncated == b.truncated && a.capped == b.capped && a.count == b.count
            && a.related == b.related && a.throttle == b.throttle && a.time == b.time && a.host == b.host
            && a.eventTime == b.eventTime && a.sourceHost == b.sourceHost && a.event == b.event
    }
}
