import CSystemd
import Foundation
import ConnwatchModel
import ConnwatchRules

/// One journal entry per finding, through sd-journal's native protocol, so `journalctl MESSAGE_ID=…`,
/// `journalctl -p warning -t connwatch` and journal forwarders work without parsing.
package final class JournalOutput: FindingOutput {
    package let name = "journal"
    package static let identifier = "connwatch"
    let lang: Language
    let json: JSONLinesEncoder
    var queue: [[(String, [UInt8])]] = []
    var retry = Retry()

    package init(lang: Language) {
        self.lang = lang
        json = JSONLinesEncoder(lang: lang)
    }

    package var pending: Int { queue.count }

    package func accept(_ finding: Finding) { queue.append(Self.fields(of: finding, lang: lang, json: json)) }

    package func nextDeadline() -> Date? { retry.retryAt }
    package func urgeNextFlush() { retry.retryNow() }

    package func flush(now: Date) throws(OutputError) -> Durability {
        try retry.attempt(now: now) { () throws(OutputError) in
            var sent = 0
            defer { queue.removeFirst(sent) }
            for entry in queue {
                let r = Self.send(entry)
                if r < 0 {
                    throw OutputError(output: name, kind: "journal", errno: -r,
                                      message: "sd_journal_sendv: \(String(cString: strerror(-r)))")
                }
                sent += 1
            }
        }
        return .durable
    }

    /// syslog priorities: critical→crit(2), high→err(3), medium→warning(4), low→notice(5), info→info(6).
    package static func priority(_ s: Severity) -> Int {
        switch s {
        case .critical: return 2
        case .high: return 3
        case .medium: return 4
        case .low: return 5
        case .info: return 6
        }
    }

    /// The one-line human summary in MESSAGE.
    package static func summary(_ f: Finding, lang: Language) -> String {
        var s = "\(f.severity.rawValue) \(f.rule)"
        if f.kind == .aadsts, let code = f.field("code") { s += " AADSTS\(code)" }
        if let app = f.app { s += " [\(app)]" } else if !f.candidates.isEmpty { s += " [app unknown]" }
        s += ": " + f.title[lang]
        if f.count > 1 { s += " (×\(f.count))" }
        if let source = f.origin.unit ?? f.origin.path ?? f.origin.identifier { s += " — \(source)" }
        return s
    }

    static let fieldNames: [(finding: String, journal: String)] = [
        ("code", "CONNWATCH_CODE"), ("http_status", "CONNWATCH_HTTP_STATUS"), ("trace_id", "CONNWATCH_TRACE_ID"),
        ("correlation_id", "CONNWATCH_CORRELATION_ID"), ("tenant_id", "CONNWATCH_TENANT_ID"),
        ("client_id", "CONNWATCH_CLIENT_ID"),
    ]

    static func fields(of f: Finding, lang: Language, json: JSONLinesEncoder) -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = [
            ("MESSAGE", Array(summary(f, lang: lang).utf8)),
            ("PRIORITY", Array(String(priority(f.severity)).utf8)),
            ("MESSAGE_ID", Array(MessageID.of(rule: f.rule).utf8)),
            ("SYSLOG_IDENTIFIER", Array(identifier.utf8)),
            ("CONNWATCH_RULE", Array(f.rule.utf8)),
            ("CONNWATCH_KIND", Array(f.kind.rawValue.utf8)),
            ("CONNWATCH_SEVERITY", Array(f.severity.rawValue.utf8)),
            ("CONNWATCH_COUNT", Array(String(f.count).utf8)),
            ("CONNWATCH_REMEDIATION", Array(f.remediation[lang].utf8)),
        ]
        if let app = f.app { out.append(("CONNWATCH_APP", Array(app.utf8))) }
        for (key, field) in fieldNames { if let v = f.field(key) { out.append((field, Array(v.utf8))) } }
        if let o = f.origin.unit ?? f.origin.path ?? f.origin.identifier { out.append(("CONNWATCH_ORIGIN", Array(o.utf8))) }
        if let t = f.eventTime { out.append(("CONNWATCH_EVENT_TIME", Array(Timestamp.iso8601(t).utf8))) }
        if let h = f.sourceHost { out.append(("CONNWATCH_SOURCE_HOST", Array(h.utf8))) }
        var line: [UInt8] = []
        json.encode(f, into: &line)
        if line.last == 0x0A { line.removeLast() }
        out.append(("CONNWATCH_FINDING", line))
        return out
    }

    /// sd_journal_sendv takes "KEY=value" iovecs; values may hold any bytes (it switches to the binary form).
    static func send(_ fields: [(String, [UInt8])]) -> Int32 {
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for (key, value) in fields {
            let start = buffer.count
            buffer.append(contentsOf: key.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: value)
            ranges.append(start..<buffer.count)
        }
        return buffer.withUnsafeMutableBytes { raw in
            var iov = ranges.map { iovec(iov_base: raw.baseAddress! + $0.lowerBound, iov_len: $0.count) }
            return sd_journal_sendv(&iov, Int32(iov.count))
        }
    }
}
