import Foundation
import ConnwatchModel

/// Times and lists as every report format shows them: in the report's time zone, by calendar components, so
/// the machine's locale never changes the output.
struct ReportFormat {
    let calendar: Calendar
    /// The zone name shown next to times: the report's, or "UTC" when that identifier is unknown.
    let zoneName: String
    let labels: ReportLabels
    /// Longest bucket list shown ("a (3), b (1), …").
    static let maxBuckets = 10

    init(report: Report, lang: Language) {
        labels = ReportLabels.of(lang)
        var cal = Calendar(identifier: .gregorian)
        if let zone = TimeZone(identifier: report.timeZone) {
            cal.timeZone = zone
            zoneName = report.timeZone
        } else {
            cal.timeZone = TimeZone(secondsFromGMT: 0)!
            zoneName = "UTC"
        }
        calendar = cal
    }

    /// "name (count)", comma-separated, at most `maxBuckets`, then "…"; the none label when empty.
    func list(_ buckets: [Bucket]) -> String {
        guard !buckets.isEmpty else { return labels.none }
        var parts = buckets.prefix(Self.maxBuckets).map { "\($0.name) (\($0.count))" }
        if buckets.count > Self.maxBuckets { parts.append("…") }
        return parts.joined(separator: ", ")
    }

    func parts(_ date: Date) -> DateComponents {
        calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    }

    /// "yyyy-MM-dd HH:mm" in the report's time zone.
    func time(_ date: Date) -> String {
        let c = parts(date)
        return "\(day(date)) \(pad2(c.hour ?? 0)):\(pad2(c.minute ?? 0))"
    }

    func day(_ date: Date) -> String {
        let c = parts(date)
        return "\(c.year ?? 0)-\(pad2(c.month ?? 0))-\(pad2(c.day ?? 0))"
    }

    func monthDay(_ date: Date) -> String {
        let c = parts(date)
        return "\(pad2(c.month ?? 0))-\(pad2(c.day ?? 0))"
    }

    /// `text` with each scalar for which `replacement` gives a string replaced by it.
    static func escape(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            if let r = replacement(ch) { out += r } else { out.unicodeScalars.append(ch) }
        }
        return out
    }

    /// The HTML entity for `&`, `<` and `>`, which both HTML and Markdown must never pass raw.
    static func entity(_ ch: Unicode.Scalar) -> String? {
        switch ch {
        case "&": return "&amp;"
        case "<": return "&lt;"
        case ">": return "&gt;"
        default: return nil
        }
    }

    func pad2(_ n: Int) -> String { n < 10 && n >= 0 ? "0\(n)" : "\(n)" }
}
