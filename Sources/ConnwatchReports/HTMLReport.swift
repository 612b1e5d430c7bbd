import Foundation
import ConnwatchModel

/// Renders a `Report` as one self-contained HTML page: inline CSS and SVG, no scripts, no external assets,
/// so it can be mailed or opened offline. The output depends only on the report (byte-identical reruns).
package enum HTMLReport {
    package static func render(_ report: Report, lang: Language) -> String {
        var page = Page(report: report, lang: lang)
        page.document()
        return page.out
    }
}

/// Builds the page into one string; a struct so the calendar and labels are set up once per render.
private struct Page {
    let report: Report
    let lang: Language
    let labels: ReportLabels
    /// Times and lists in the report's time zone (shared with the Markdown report).
    let fmt: ReportFormat
    var calendar: Calendar { fmt.calendar }
    var zoneName: String { fmt.zoneName }
    var out = ""

    /// Limits that keep the page short: bars in the top-rules chart, skipped lines.
    static let maxTopRules = 10
    static let maxSkippedShown = 5
    /// Rule keys longer than this are cut in the chart (the full key is in the tooltip and the section).
    static let maxChartLabel = 48

    init(report: Report, lang: Language) {
        self.report = report
        self.lang = lang
        labels = ReportLabels.of(lang)
        fmt = ReportFormat(report: report, lang: lang)
    }

    // MARK: Document

    mutating func document() {
        out += "<!DOCTYPE html>\n<html lang=\"\(lang.rawValue)\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"color-scheme\" content=\"light dark\">\n"
        out += "<title>\(esc(labels.title)) \(esc(fmt.day(report.since)))</title>\n"
        out += "<style>\n\(Page.css)</style>\n</head>\n<body>\n<main>\n"
        header()
        summary()
        if report.total == 0 {
            out += "<p class=\"empty\">\(esc(labels.noFindings))</p>\n"
        } else {
            hourChart()
            topRulesChart()
            tables()
        }
        changes()
        if report.total > 0 {
            for (index, section) in report.sections.enumerated() { sectionBlock(section, index: index) }
        }
        footer()
        out += "</main>\n</body>\n</html>\n"
    }

    mutating func header() {
        out += "<header>\n<h1>\(esc(labels.title))</h1>\n<p class=\"meta\">"
        out += "<span>\(esc(labels.period)): \(esc(fmt.time(report.since))) – \(esc(fmt.time(report.until))) "
        out += "\(esc(zoneName))</span> "
        out += "<span>\(esc(labels.generated)): \(esc(fmt.time(report.generated)))</span></p>\n</header>\n"
    }

    mutating func summary() {
        let diff = report.total - report.previousTotal
        let sign = diff > 0 ? "+\(diff)" : diff < 0 ? "−\(-diff)" : "±0"
        out += "<section class=\"summary\">\n<div class=\"total\"><span class=\"num\">\(report.total)</span> "
        out += "<span class=\"lbl\">\(esc(labels.total))</span>"
        out += "<span class=\"prev\">\(esc(labels.previous)): \(report.previousTotal) (\(sign))</span></div>\n"
        out += "<ul class=\"sevs\" aria-label=\"\(esc(labels.bySeverity))\">\n"
        for bucket in report.bySeverity {
            out += "<li>\(badge(bucket.name)) <span class=\"num\">\(bucket.count)</span></li>\n"
        }
        out += "</ul>\n</section>\n"
    }

    // MARK: Charts

    /// Vertical bars, one per non-empty hour. Sizes in % of the width so the SVG never scales its text:
    /// labels stay readable on a phone and the chart still fills a desktop column.
    mutating func hourChart() {
        let buckets = report.perHour
        guard !buckets.isEmpty else { return }
        let maxCount = max(1, buckets.map(\.count).max() ?? 0)
        let top = 20.0, plot = 150.0, height = 196
        let slot = 100.0 / Double(buckets.count)
        // A daily report labels every 3rd hour; longer periods get sparser labels so they do not collide.
        let step = buckets.count <= 25 ? 3 : buckets.count <= 50 ? 6 : 24
        let withDate = buckets.count > 25

        out += "<section class=\"chart\">\n<h2>\(esc(labels.perHour))</h2>\n"
        out += "<svg class=\"hours\" width=\"100%\" height=\"\(height)\" role=\"img\" "
        out += "aria-label=\"\(esc(labels.perHour))\">\n"
        out += "<text class=\"axis\" x=\"0\" y=\"13\">\(maxCount)</text>\n"
        out += "<line class=\"grid\" x1=\"0\" y1=\"\(num(top))\" x2=\"100%\" y2=\"\(num(top))\"/>\n"
        out += "<line class=\"base\" x1=\"0\" y1=\"\(num(top + plot))\" x2=\"100%\" y2=\"\(num(top + plot))\"/>\n"
        for (i, bucket) in buckets.enumerated() {
            let hour = calendar.component(.hour, from: bucket.start)
            if bucket.count > 0 {
                // At least 2 px so a single finding next to a busy hour is still visible.
                let h = max(2.0, plot * Double(bucket.count) / Double(maxCount))
                let tip = "\(withDate ? fmt.monthDay(bucket.start) + " " : "")\(fmt.pad2(hour)):00 — \(bucket.count)"
                out += "<rect class=\"bar\" x=\"\(pct(Double(i) * slot + slot * 0.12))\" "
                out += "y=\"\(num(top + plot - h))\" width=\"\(pct(slot * 0.76))\" height=\"\(num(h))\">"
                out += "<title>\(esc(tip))</title></rect>\n"
            }
            if hour % step == 0, i == 0 || hour != calendar.component(.hour, from: buckets[i - 1].start) {
                let text = step == 24 ? fmt.monthDay(bucket.start) : fmt.pad2(hour)
                let anchor = i == 0 ? "start" : "middle"
                let x = i == 0 ? 0 : Double(i) * slot + slot / 2
                out += "<text class=\"axis\" x=\"\(pct(x))\" y=\"\(num(top + plot + 18))\" "
                out += "text-anchor=\"\(anchor)\">\(esc(text))</text>\n"
            }
        }
        out += "</svg>\n</section>\n"
    }

    /// Horizontal bars for the most frequent sections; the key sits above its bar so long keys fit a phone.
    mutating func topRulesChart() {
        let top = report.sections.enumerated()
            .sorted { $0.element.count != $1.element.count ? $0.element.count > $1.element.count
                                                           : $0.offset < $1.offset }
            .prefix(Page.maxTopRules)
            .map(\.element)
        guard !top.isEmpty else { return }
        let maxCount = max(1, top.map(\.count).max() ?? 0)
        let row = 38
        out += "<section class=\"chart\">\n<h2>\(esc(labels.topRules))</h2>\n"
        out += "<svg class=\"rules\" width=\"100%\" height=\"\(row * top.count)\" role=\"img\" "
        out += "aria-label=\"\(esc(labels.topRules))\">\n"
        for (i, section) in top.enumerated() {
            let y = i * row
            // 84% at most leaves room for the count after the longest bar.
            let w = max(0.5, 84.0 * Double(section.count) / Double(maxCount))
            let key = section.key.count > Page.maxChartLabel
                ? String(section.key.prefix(Page.maxChartLabel - 1)) + "…" : section.key
            out += "<text class=\"key\" x=\"0\" y=\"\(y + 13)\">\(esc(key))</text>\n"
            out += "<rect class=\"bar\" x=\"0\" y=\"\(y + 18)\" width=\"\(pct(w))\" height=\"14\">"
            out += "<title>\(esc(section.key)) — \(section.count)</title></rect>\n"
            out += "<text class=\"axis\" x=\"\(pct(w + 1))\" y=\"\(y + 30)\">\(section.count)</text>\n"
        }
        out += "</svg>\n</section>\n"
    }

    // MARK: Tables and lists

    mutating func tables() {
        out += "<div class=\"tables\">\n"
        table(labels.byKind, report.byKind)
        table(labels.byApp, report.byApp)
        // Host names are the longest cells; a full row keeps them on one line on a desktop.
        table(labels.hosts, report.hosts, wide: true)
        out += "</div>\n"
    }

    mutating func table(_ heading: String, _ buckets: [Bucket], wide: Bool = false) {
        out += "<section\(wide ? " class=\"wide\"" : "")>\n<h2>\(esc(heading))</h2>\n"
        guard !buckets.isEmpty else {
            out += "<p class=\"none\">\(esc(labels.none))</p>\n</section>\n"
            return
        }
        // The heading already names the first column; it stays in the table for screen readers only.
        out += "<div class=\"scroll\"><table>\n<thead><tr>"
        out += "<th scope=\"col\"><span class=\"vh\">\(esc(heading))</span></th>"
        out += "<th scope=\"col\" class=\"n\">\(esc(labels.count))</th><th scope=\"col\" class=\"n\">%</th>"
        out += "</tr></thead>\n<tbody>\n"
        for bucket in buckets {
            out += "<tr><td>\(esc(bucket.name))</td><td class=\"n\">\(bucket.count)</td>"
            out += "<td class=\"n\">\(share(bucket.count))</td></tr>\n"
        }
        out += "</tbody>\n</table></div>\n</section>\n"
    }

    mutating func changes() {
        out += "<div class=\"tables\">\n"
        changeList(labels.newSince, report.new)
        changeList(labels.stopped, report.stopped)
        out += "</div>\n"
    }

    mutating func changeList(_ heading: String, _ items: [KeyCount]) {
        out += "<section>\n<h2>\(esc(heading))</h2>\n"
        guard !items.isEmpty else {
            out += "<p class=\"none\">\(esc(labels.none))</p>\n</section>\n"
            return
        }
        out += "<ul class=\"changes\">\n"
        for item in items {
            out += "<li>\(badge(item.severity.rawValue)) <code>\(esc(item.key))</code> \(esc(item.title)) "
            out += "<span class=\"muted\">(\(item.count))</span></li>\n"
        }
        out += "</ul>\n</section>\n"
    }

    // MARK: Sections

    mutating func sectionBlock(_ s: Section, index: Int) {
        out += "<section class=\"finding\" id=\"s\(index + 1)\">\n<h2>\(badge(s.severity.rawValue)) "
        out += "<code>\(esc(s.key))</code> <span class=\"title\">\(esc(s.title))</span></h2>\n<dl>\n"
        row(labels.count, "\(s.count)")
        row(labels.firstSeen, fmt.time(s.firstSeen))
        row(labels.lastSeen, fmt.time(s.lastSeen))
        row(labels.apps, fmt.list(s.apps))
        row(labels.hosts, fmt.list(s.hosts))
        row(labels.sources, fmt.list(s.sources))
        row(labels.tenants, fmt.list(s.tenants))
        out += "</dl>\n"
        if !s.remediation.isEmpty {
            out += "<p class=\"fix\"><strong>\(esc(labels.remediation)):</strong> \(esc(s.remediation))</p>\n"
        }
        if let ref = s.reference, !ref.isEmpty {
            out += "<p><strong>\(esc(labels.reference)):</strong> "
            // Only web addresses become links; anything else (e.g. a `javascript:` URL) stays inert text.
            let lower = ref.lowercased()
            if lower.hasPrefix("https://") || lower.hasPrefix("http://") {
                out += "<a href=\"\(esc(ref))\">\(esc(ref))</a></p>\n"
            } else {
                out += "\(esc(ref))</p>\n"
            }
        }
        if !s.examples.isEmpty {
            out += "<h3>\(esc(labels.examples))</h3>\n"
            // One <pre> per line: wrapped lines stay visibly separate on a narrow screen.
            for line in s.examples { out += "<pre>\(esc(line))</pre>\n" }
        }
        out += "</section>\n"
    }

    mutating func row(_ term: String, _ value: String) {
        out += "<dt>\(esc(term))</dt><dd>\(esc(value))</dd>\n"
    }

    // MARK: Footer

    mutating func footer() {
        out += "<footer>\n<p><strong>\(esc(labels.files)):</strong> "
        out += report.sources.isEmpty ? esc(labels.none)
            : report.sources.map { "<code>\(esc($0))</code>" }.joined(separator: ", ")
        out += "</p>\n<p><strong>\(esc(labels.skipped)):</strong> \(report.skippedCount)</p>\n"
        let shown = report.skipped.prefix(Page.maxSkippedShown)
        if !shown.isEmpty {
            for entry in shown { out += "<pre>\(esc(entry))</pre>\n" }
            if report.skippedCount > shown.count { out += "<p class=\"muted\">…</p>\n" }
        }
        out += "</footer>\n"
    }

    // MARK: Formatting helpers

    func badge(_ severity: String) -> String {
        let cls = Severity(rawValue: severity) != nil ? severity : "info"
        return "<span class=\"sev sev-\(cls)\">\(esc(severity))</span>"
    }

    /// Share of the period's total as a whole percent; "<1%" rather than a misleading "0%".
    func share(_ count: Int) -> String {
        guard report.total > 0, count > 0 else { return "0%" }
        // In floating point: counts saturate at Int.max, and count * 100 would overflow.
        let p = (Double(count) * 100 / Double(report.total)).rounded()
        return p == 0 ? "&lt;1%" : "\(Int(p))%"
    }


    /// Fixed two-decimal number without Foundation number formatting (which may follow the locale).
    func num(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let frac = hundredths % 100
        return frac == 0 ? "\(hundredths / 100)" : "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    func pct(_ value: Double) -> String { num(value) + "%" }

    /// Escapes text for element content and quoted attributes alike.
    func esc(_ text: String) -> String {
        ReportFormat.escape(text) { ch in
            switch ch {
            case "\"": return "&quot;"
            case "'": return "&#39;"
            default: return ReportFormat.entity(ch)
            }
        }
    }

    // MARK: Style

    /// Colours as variables so one dark-mode block swaps them all. `--bar` values are fixed: the render
    /// check counts pixels of exactly these colours. Badges are dark-on-light in both schemes for contrast.
    static let css = """
    :root {
      color-scheme: light dark;
      --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa; --link: #0550ae;
      --bar: #1f6feb; --grid: #d1d9e0;
      --crit-bg: #a40e26; --crit-fg: #ffffff; --high-bg: #bc4c00; --high-fg: #ffffff;
      --med-bg: #f2cc60; --med-fg: #3b2300; --low-bg: #ddf4ff; --low-fg: #0a3069;
      --info-bg: #e6e9ec; --info-fg: #1f2328;
    }
    @media (prefers-color-scheme: dark) {
      :root {
        --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --card: #151b23; --link: #b6d4ff;
        --bar: #58a6ff; --grid: #3d444d;
        --crit-bg: #ff7b72; --crit-fg: #2d0000; --high-bg: #ffa657; --high-fg: #2b1400;
        --med-bg: #e3b341; --med-fg: #241a00; --low-bg: #a5f3fc; --low-fg: #052e33;
        --info-bg: #8b949e; --info-fg: #0d1117;
      }
    }
    * { box-sizing: border-box; }
    html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
    body { margin: 0; background: var(--bg); color: var(--fg);
      font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK KR", sans-serif; }
    :lang(ko) { word-break: keep-all; }
    main { max-width: 70em; margin: 0 auto; padding: 1em; }
    main > *, .tables > * { min-width: 0; }
    h1 { font-size: 1.5em; margin: 0 0 .2em; }
    h2 { font-size: 1.15em; margin: 1.4em 0 .5em; }
    h3 { font-size: 1em; margin: 1em 0 .4em; }
    a { color: var(--link); overflow-wrap: anywhere; }
    code { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", monospace; font-size: .92em;
      overflow-wrap: anywhere; }
    .meta { color: var(--muted); margin: 0; display: flex; flex-wrap: wrap; gap: 0 1.5em; }
    .muted, .none { color: var(--muted); }
    .summary { display: flex; flex-wrap: wrap; align-items: center; gap: .8em 2em; margin: 1.2em 0;
      padding: .8em 1em; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
    .total { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 .5em; }
    .total .num { font-size: 2em; font-weight: 700; }
    .total .prev { color: var(--muted); flex-basis: 100%; }
    .sevs { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .4em 1em; }
    .num, td.n { font-variant-numeric: tabular-nums; }
    .sev { display: inline-block; padding: 0 .5em; border-radius: 1em; font-size: .8em; font-weight: 600;
      line-height: 1.6; vertical-align: .1em; white-space: nowrap; }
    .sev-critical { background: var(--crit-bg); color: var(--crit-fg); }
    .sev-high { background: var(--high-bg); color: var(--high-fg); }
    .sev-medium { background: var(--med-bg); color: var(--med-fg); }
    .sev-low { background: var(--low-bg); color: var(--low-fg); }
    .sev-info { background: var(--info-bg); color: var(--info-fg); }
    .chart svg { display: block; overflow: visible; }
    .bar { fill: var(--bar); }
    .axis { fill: var(--muted); font-size: 12px; }
    .key { fill: var(--fg); font-size: 12.5px; }
    .grid { stroke: var(--grid); stroke-dasharray: 3 3; }
    .base { stroke: var(--line); }
    .tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 24em), 1fr));
      gap: 0 2em; }
    .tables > .wide { grid-column: 1 / -1; }
    .wide table { max-width: 50em; }
    .scroll { overflow-x: auto; max-width: 100%; position: relative; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: .25em .6em .25em 0; border-bottom: 1px solid var(--line); }
    td:first-child { overflow-wrap: anywhere; min-width: 8em; }
    .n { white-space: nowrap; }
    .vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
      white-space: nowrap; }
    th { color: var(--muted); font-weight: 600; }
    .n { text-align: right; padding-right: 0; padding-left: .8em; }
    .changes { padding-left: 1.2em; }
    .changes li { margin: .2em 0; overflow-wrap: anywhere; }
    .finding { margin: 1.5em 0; padding: 0 1em .5em; border: 1px solid var(--line); border-radius: 8px; }
    .finding h2 { margin-top: .8em; overflow-wrap: anywhere; }
    .finding h2 .title { display: block; }
    dl { display: grid; grid-template-columns: fit-content(35%) minmax(0, 1fr); gap: .15em 1em; margin: .5em 0; }
    dt { color: var(--muted); }
    dd { margin: 0; overflow-wrap: anywhere; }
    .fix { white-space: pre-line; }
    pre { margin: .3em 0; padding: .5em .7em; background: var(--card); border: 1px solid var(--line);
      border-radius: 6px; font: .85em/1.45 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", monospace;
      white-space: pre-wrap; overflow-wrap: anywhere; overflow-x: auto; max-width: 100%; }
    footer { margin-top: 2em; padding-top: .5em; border-top: 1px solid var(--line); color: var(--muted);
      font-size: .9em; }
    footer code { overflow-wrap: anywhere; }

    """
}
