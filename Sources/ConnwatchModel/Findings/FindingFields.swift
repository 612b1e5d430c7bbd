/// The keys of a finding's JSON form (docs/findings.md, schema/finding.schema.json), declared once: the encoder
/// writes them and the report reader looks for them, so a renamed key cannot silently fall out of reports.
package enum FindingField: String, CaseIterable, Sendable {
    case schema
    /// When connwatch read the line.
    case time
    /// The event's own time (journal realtime, else the line's timestamp), when known.
    case eventTime = "event_time"
    /// The machine that scanned.
    case host
    /// The machine the event came from (journal `_HOSTNAME`, syslog host field), when known.
    case sourceHost = "source_host"
    case rule, kind, app, candidates, severity, title
    case codeName = "code_name"
    case category, remediation, reference, related, origin, line, truncated, capped
    /// A multi-line event's lines (`lines`, and `cut` when a bound or the timeout closed it).
    case event
    case count, throttle, lang

    /// Extracted fields (rules' named groups) that reports and the throttle treat as identifying.
    package static let code = "code"
    package static let tenantID = "tenant_id"
    package static let clientID = "client_id"
    package static let appID = "app_id"
}

/// The keys inside a finding's `origin` object.
package enum OriginField: String, CaseIterable, Sendable {
    case input, path, inode, offset, cursor, unit, identifier, pid, hostname
    case realtimeMicros = "realtime_usec"
}
