import Foundation
import ConnwatchModel

/// The report as Markdown, for mail and chat: headings, small tables, code blocks for log lines.
package enum MarkdownReport {
    package static func render(_ r: Report, lang: Language) -> String {
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
                // In floating point: counts saturate at Int.max, and count * 30 would overflow.
                let bar = String(repeating: "█", count: h.count == 0 ? 0 : max(1, Int(Double(h.count) * 30 / Double(peak))))
                md += "\(fmt.pad2(fmt.parts(h.start).hour ?? 0)):00 \(bar) \(h.count)\n"
            }
            md += "```\n\n"
        }
        md += "## \(l.newSince)\n\n" + keyList(r.new, none: l.none) + "\n"
        md += "## \(l.stopped)\n\n" + keyList(r.stopped, none: l.none) + "\n"
        for s in r.sections {
            md += "## [\(s.severity.rawValue)] \(text(s.key)) — \(text(s.title))\n\n"
            md += "- \(l.count): \(s.count)\n- \(l.firstSeen): \(fmt.time(s.firstSeen))\n- \(l.lastSeen): \(fmt.time(s.lastSeen))\n"
            md += "- \(l.apps): \(list(s.apps, fmt))\n- \(l.hosts): \(list(s.hosts, fmt))\n"
            md += "- \(l.sources): \(list(s.sources, fmt))\n- \(l.tenants): \(list(s.tenants, fmt))\n\n"
            md += "**\(l.remediation):** \(text(s.remediation))\n\n"
            if let ref = s.reference { md += "\(l.reference): \(link(ref))\n\n" }
            if !s.examples.isEmpty {
                md += "\(l.examples):\n\n" + s.examples.map(codeBlock).joined()
            }
        }
        md += "---\n\(l.files): " + (r.sources.isEmpty ? l.none : r.sources.map(text).joined(separator: ", ")) + "\n"
        if r.skippedCount > 0 {
            md += "\n\(l.skipped): \(r.skippedCount)\n\n" + r.skipped.map { "- \(text($0))\n" }.joined()
        }
        return md
    }

    static func keyList(_ items: [KeyCount], none: String) -> String {
        items.isEmpty ? "\(none)\n" : items.map { "- [\($0.severity.rawValue)] \(text($0.key)) — \(text($0.title)) (\($0.count))\n" }.joined()
    }

    /// Text from findings (titles, apps, hosts, lines, file names…) as inert Markdown, as the HTML report escapes
    /// it: HTML specials become entities, link and code syntax is backslash-escaped, and line breaks (and other
    /// control characters) become spaces, so no field can add raw HTML, a link, a heading or a list item.
    static func text(_ s: String) -> String {
        ReportFormat.escape(s) { ch in
            switch ch {
            case "\\", "`", "[", "]", "*", "|": return "\\\(ch)"
            case "\u{2028}", "\u{2029}", "\u{85}": return " "
            default: return ch.value < 0x20 || ch.value == 0x7F ? " " : ReportFormat.entity(ch)
            }
        }
    }

    /// Table cells: escaped text (pipes included).
    static func cell(_ s: String) -> String { text(s) }

    /// "name (count)" lists with escaped names.
    static func list(_ buckets: [Bucket], _ fmt: ReportFormat) -> String {
        fmt.list(buckets.map { Bucket(name: text($0.name), count: $0.count) })
    }

    /// Web addresses become autolinks; anything else (a `javascript:` URL, one with spaces or brackets) stays text.
    static func link(_ ref: String) -> String {
        let lower = ref.lowercased()
        let plain = ref.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "<" && $0 != ">" && $0.value != 0x7F }
        return plain && (lower.hasPrefix("https://") || lower.hasPrefix("http://")) ? "<\(ref)>" : text(ref)
    }

    /// One fenced block per example line, its fence longer than any run of backticks inside: the content stays
    /// literal (HTML included) and cannot close the block.
    static func codeBlock(_ line: String) -> String {
        var longest = 0, run = 0
        for c in line.utf8 {
            run = c == UInt8(ascii: "`") ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        let body = line.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return fence + "\n" + body + "\n" + fence + "\n\n"
    }
}

/// The report as JSON for tools: the model itself, dates in RFC 3339.
package enum JSONReport {
    package static func render(_ r: Report) -> String {
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
