import Foundation

/// The report as Markdown, for mail and chat: headings, small tables, code blocks for log lines.
public enum MarkdownReport {
    public static func render(_ r: Report, lang: Language) -> String {
        let fmt = ReportFormat(report: r, lang: lang)
        let l = fmt.labels
        var md = "# \(l.title)\n\n"
        md += "\(l.period): \(fmt.time(r.since)) – \(fmt.time(r.until)) \(fmt.zoneName)  \n"
        md += "\(l.generated): \(fmt.time(r.generated))\n\n"
        let delta = r.total - r.previousTotal
        md += "**\(l.total): \(r.total)** (\(l.previous): \(r.previousTotal), \(delta >= 0 ? "+" : "")\(delta))\n\n"
        if r.total == 0 { md += "\(l.noFindings)\n\n" }
        else {
            md += "| \(l.bySeverity) | \(l.count) |\n|---|---:|\n"
            for b in r.bySeverity where b.count > 0 { md += "| \(b.name) | \(b.count) |\n" }
            md += "\n"
            for (title, buckets) in [(l.byKind, r.byKind), (l.byApp, r.byApp), (l.hosts, r.hosts)] where !buckets.isEmpty {
                md += "| \(title) | \(l.count) |\n|---|---:|\n"
                for b in buckets.prefix(ReportFormat.maxBuckets) { md += "| \(cell(b.name)) | \(b.count) |\n" }
                md += "\n"
            }
            md += "## \(l.perHour)\n\n```\n"
            let peak = r.perHour.map(\.count).max() ?? 0
            for h in r.perHour where peak > 0 {
                let bar = String(repeating: "█", count: h.count == 0 ? 0 : max(1, h.count * 30 / peak))
                md += "\(fmt.pad2(fmt.parts(h.start).hour ?? 0)):00 \(bar) \(h.count)\n"
            }
            md += "```\n\n"
        }
        md += "## \(l.newSince)\n\n" + keyList(r.new, none: l.none) + "\n"
        md += "## \(l.stopped)\n\n" + keyList(r.stopped, none: l.none) + "\n"
        for s in r.sections {
            md += "## [\(s.severity.rawValue)] \(s.key) — \(s.title)\n\n"
            md += "- \(l.count): \(s.count)\n- \(l.firstSeen): \(fmt.time(s.firstSeen))\n- \(l.lastSeen): \(fmt.time(s.lastSeen))\n"
            md += "- \(l.apps): \(fmt.list(s.apps))\n- \(l.hosts): \(fmt.list(s.hosts))\n"
            md += "- \(l.sources): \(fmt.list(s.sources))\n- \(l.tenants): \(fmt.list(s.tenants))\n\n"
            md += "**\(l.remediation):** \(s.remediation)\n\n"
            if let ref = s.reference { md += "\(l.reference): <\(ref)>\n\n" }
            if !s.examples.isEmpty {
                md += "\(l.examples):\n\n```\n" + s.examples.map { $0.replacingOccurrences(of: "```", with: "'''") }.joined(separator: "\n") + "\n```\n\n"
            }
        }
        md += "---\n\(l.files): " + (r.sources.isEmpty ? l.none : r.sources.map { "`\($0)`" }.joined(separator: ", ")) + "\n"
        if r.skippedCount > 0 {
            md += "\n\(l.skipped): \(r.skippedCount)\n\n" + r.skipped.map { "- `\($0)`\n" }.joined()
        }
        return md
    }

    static func keyList(_ items: [KeyCount], none: String) -> String {
        items.isEmpty ? "\(none)\n" : items.map { "- [\($0.severity.rawValue)] \($0.key) — \($0.title) (\($0.count))\n" }.joined()
    }

    /// Table cells may not hold pipes or line breaks.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

/// The report as JSON for tools: the model itself, dates in RFC 3339.
public enum JSONReport {
    public static func render(_ r: Report) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(Timestamp.iso8601(date))
        }
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: (try? encoder.encode(r)) ?? Data(), as: UTF8.self) + "\n"
    }
}
