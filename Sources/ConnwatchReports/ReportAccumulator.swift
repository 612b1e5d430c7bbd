import Foundation
import ConnwatchModel

/// The report's period and its hour buckets, shared read-only by the readers.
struct ReportPeriod: Sendable {
    let since: Double, until: Double, previousStart: Double
    /// Start of the first hour bucket, and the bucket starts (one per clock hour; DST days have 23 or 25).
    let hourStarts: [Date]

    init(since: Date, until: Date, timeZone: TimeZone) {
        self.since = since.timeIntervalSince1970
        self.until = until.timeIntervalSince1970
        previousStart = self.since - (self.until - self.since)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var starts: [Date] = []
        var t = calendar.dateInterval(of: .hour, for: since)?.start ?? since
        while t < until && starts.count < 24 * 62 {
            starts.append(t)
            t = t.addingTimeInterval(3600)
        }
        hourStarts = starts
    }
}

/// What a report section is: the rule; for AADSTS with the code, for connector errors with the app (each has its
/// own remediation).
func sectionKey(rule: String, kind: String, code: String?, app: String?) -> String {
    if kind == "aadsts" { return "\(rule) AADSTS\(code ?? "?")" }
    if kind == "connector", let app { return "\(rule) [\(app)]" }
    return rule
}

/// Everything a report counts, built while lines stream by; one per unit of reading, merged at the end. Holds
/// counters and a few example lines per section, never the findings themselves.
final class ReportAccumulator {
    let period: ReportPeriod
    var records = 0, total = 0, previousTotal = 0
    var bySeverity = [Int](repeating: 0, count: Severity.allCases.count)
    var kinds: [String: Int] = [:], apps: [String: Int] = [:], hosts: [String: Int] = [:]
    var perHour: [Int]
    var sections: [String: SectionAccumulator] = [:]
    var previous: [String: PreviousSection] = [:]
    /// Lines consumed (for the line numbers of the next unit of the same file) and the first lines skipped.
    var lines = 0
    var skippedCount = 0
    var skipped: [(line: Int, message: String)] = []

    init(period: ReportPeriod) {
        self.period = period
        perHour = Array(repeating: 0, count: period.hourStarts.count)
    }

    func skip(line: Int, _ message: String) {
        skippedCount.addSaturating(1)
        if skipped.count < ReportBuilder.skippedShown { skipped.append((line, message)) }
    }

    /// One non-empty line.
    func add(_ bytes: UnsafeRawBufferPointer) {
        let f: ScannedFinding
        do { f = try FindingScanner.scan(bytes) } catch {
            skip(line: lines, error.description)
            return
        }
        let t = f.when
        let current = t >= period.since && t < period.until
        guard current || (t >= period.previousStart && t < period.since) else { return }
        func text(_ r: StringRef?) -> String? { r.map { FindingScanner.text(bytes, $0) } }
        let rule = text(f.rule) ?? "", kind = text(f.kind) ?? "?", app = text(f.app), code = text(f.code)
        let key = sectionKey(rule: rule, kind: kind, code: code, app: app)
        let severity = f.severity ?? .info
        if !current {
            previousTotal.addSaturating(f.count)
            let p = previous[key] ?? PreviousSection(key: key, title: "", severity: severity, count: 0, titleTime: -.infinity)
            p.add(f, bytes, severity: severity, rule: rule)
            previous[key] = p
            return
        }
        records += 1
        total.addSaturating(f.count)
        bySeverity[severity.slot].addSaturating(f.count)
        kinds[kind, default: 0].addSaturating(f.count)
        apps[app ?? "unknown", default: 0].addSaturating(f.count)
        // The event's own host when the finding names it, else the scanning host.
        let host = text(f.sourceHost ?? f.host)
        if let host { hosts[host, default: 0].addSaturating(f.count) }
        if let first = period.hourStarts.first {
            let i = Int(((t - first.timeIntervalSince1970) / 3600).rounded(.down))
            if i >= 0 && i < perHour.count { perHour[i].addSaturating(f.count) }
        }
        let s: SectionAccumulator
        if let existing = sections[key] { s = existing } else {
            s = SectionAccumulator(key: key, rule: rule, code: code, kind: kind, severity: severity, time: t)
            sections[key] = s
        }
        s.add(f, bytes, time: t, severity: severity, app: app ?? "unknown", host: host, rule: rule)
    }

    func merge(_ o: ReportAccumulator) {
        records.addSaturating(o.records)
        total.addSaturating(o.total)
        previousTotal.addSaturating(o.previousTotal)
        for k in bySeverity.indices { bySeverity[k].addSaturating(o.bySeverity[k]) }
        for k in perHour.indices { perHour[k].addSaturating(o.perHour[k]) }
        Self.merge(&kinds, o.kinds); Self.merge(&apps, o.apps); Self.merge(&hosts, o.hosts)
        for (key, s) in o.sections {
            if let mine = sections[key] { mine.merge(s) } else { sections[key] = s }
        }
        for (key, p) in o.previous {
            if let mine = previous[key] { mine.merge(p) } else { previous[key] = p }
        }
    }

    static func merge(_ a: inout [String: Int], _ b: [String: Int]) {
        for (k, v) in b { a[k, default: 0].addSaturating(v) }
    }

    func fill(_ report: inout Report) {
        report.records = records
        report.total = total
        report.previousTotal = previousTotal
        report.skippedCount = skippedCount
        report.skipped = skipped.map(\.message)
        report.bySeverity = Severity.allCases.reversed().map { Bucket(name: $0.rawValue, count: bySeverity[$0.slot]) }
        report.byKind = Self.buckets(kinds)
        report.byApp = Self.buckets(apps)
        report.hosts = Self.buckets(hosts)
        report.perHour = zip(period.hourStarts, perHour).map { HourBucket(start: $0, count: $1) }
        report.sections = sections.values.map(\.result).sorted(by: Self.order)
        let currentKeys = Set(sections.keys)
        report.new = report.sections.filter { previous[$0.key] == nil }
            .map { KeyCount(key: $0.key, title: $0.title, severity: $0.severity, count: $0.count) }
        report.stopped = previous.values.filter { !currentKeys.contains($0.key) }
            .map { KeyCount(key: $0.key, title: $0.title, severity: $0.severity, count: $0.count) }
            .sorted { ($0.severity, $0.count, $1.key) > ($1.severity, $1.count, $0.key) }
    }

    static func buckets(_ counts: [String: Int]) -> [Bucket] {
        counts.map { Bucket(name: $0.key, count: $0.value) }.sorted { ($0.count, $1.name) > ($1.count, $0.name) }
    }

    static func order(_ a: Section, _ b: Section) -> Bool {
        if a.severity != b.severity { return a.severity > b.severity }
        if a.count != b.count { return a.count > b.count }
        return a.key < b.key
    }
}

/// Whether the JSON string `r` in `bytes` is exactly `text` (compared as bytes, decoded only when escaped).
func sameText(_ bytes: UnsafeRawBufferPointer, _ r: StringRef, _ text: String) -> Bool {
    if r.escaped { return FindingScanner.text(bytes, r) == text }
    var text = text
    return text.withUTF8 { t in
        t.count == r.end - r.start && (t.count == 0 || memcmp(t.baseAddress!, bytes.baseAddress! + r.start, t.count) == 0)
    }
}

/// A section of the previous period: only what "new" and "stopped" need.
final class PreviousSection {
    let key: String
    var title: String
    var severity: Severity
    var count: Int
    var titleTime: Double

    init(key: String, title: String, severity: Severity, count: Int, titleTime: Double) {
        self.key = key; self.title = title; self.severity = severity; self.count = count; self.titleTime = titleTime
    }

    func add(_ f: ScannedFinding, _ bytes: UnsafeRawBufferPointer, severity: Severity, rule: String) {
        count.addSaturating(f.count)
        self.severity = max(self.severity, severity)
        let t = f.when
        if t >= titleTime {
            titleTime = t
            let newTitle = f.title.map { FindingScanner.text(bytes, $0) } ?? rule
            if newTitle != title { title = newTitle }
        }
    }

    func merge(_ o: PreviousSection) {
        count.addSaturating(o.count)
        severity = max(severity, o.severity)
        if o.titleTime >= titleTime { titleTime = o.titleTime; title = o.title }
    }
}

/// One section as it grows, mutated in place (a Section copied out of a dictionary per record would copy its lists
/// each time). Title: the latest record's; remediation and reference: the earliest record's that has them;
/// examples: the earliest distinct lines.
final class SectionAccumulator {
    var section: Section
    var apps: [String: Int] = [:], hosts: [String: Int] = [:], sources: [String: Int] = [:], tenants: [String: Int] = [:]
    var titleTime = -Double.infinity, remediationTime = Double.infinity, referenceTime = Double.infinity
    /// Each example with its JSON bytes as written (escapes and all): a record is compared with the kept examples
    /// as bytes, without decoding its line.
    var examples: [(time: Double, line: String, raw: [UInt8])] = []

    init(key: String, rule: String, code: String?, kind: String, severity: Severity, time: Double) {
        let d = Date(timeIntervalSince1970: time)
        section = Section(key: key, rule: rule, code: code, kind: kind, severity: severity, title: rule, count: 0,
                          firstSeen: d, lastSeen: d, apps: [], hosts: [], sources: [], tenants: [],
                          remediation: "", reference: nil, examples: [])
    }

    func add(_ f: ScannedFinding, _ bytes: UnsafeRawBufferPointer, time t: Double, severity: Severity, app: String,
             host: String?, rule: String) {
        section.count.addSaturating(f.count)
        section.severity = max(section.severity, severity)
        if t < section.firstSeen.timeIntervalSince1970 { section.firstSeen = Date(timeIntervalSince1970: t) }
        if t > section.lastSeen.timeIntervalSince1970 { section.lastSeen = Date(timeIntervalSince1970: t) }
        if t >= titleTime {
            titleTime = t
            if let r = f.title {
                if !sameText(bytes, r, section.title) { section.title = FindingScanner.text(bytes, r) }
            } else { section.title = rule }
        }
        if t < remediationTime, let r = f.remediation, r.end > r.start {
            remediationTime = t
            section.remediation = FindingScanner.text(bytes, r)
        }
        if t < referenceTime, let r = f.reference {
            referenceTime = t
            section.reference = FindingScanner.text(bytes, r)
        }
        if let r = f.line, r.end > r.start { example(t, bytes, r) }
        apps[app, default: 0].addSaturating(f.count)
        if let host { hosts[host, default: 0].addSaturating(f.count) }
        if let src = f.unit ?? f.identifier ?? f.path { sources[FindingScanner.text(bytes, src), default: 0].addSaturating(f.count) }
        for (name, r) in [("tenant", f.tenantID), ("client", f.clientID), ("app", f.appID)] {
            if let r { tenants["\(name)=\(FindingScanner.text(bytes, r))", default: 0].addSaturating(f.count) }
        }
    }

    /// Keeps the `examplesPerSection` distinct lines seen earliest (their earliest time each).
    func example(_ t: Double, _ bytes: UnsafeRawBufferPointer, _ r: StringRef) {
        let n = r.end - r.start
        if let k = examples.firstIndex(where: { e in
            e.raw.count == n && e.raw.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress! + r.start, n) == 0 }
        }) {
            examples[k].time = min(examples[k].time, t)
            return
        }
        if examples.count == ReportBuilder.examplesPerSection && t >= examples.map(\.time).max()! { return }
        insertExample(t, FindingScanner.text(bytes, r), Array(UnsafeRawBufferPointer(rebasing: bytes[r.start..<r.end])))
    }

    func insertExample(_ t: Double, _ line: String, _ raw: [UInt8]) {
        if examples.count < ReportBuilder.examplesPerSection {
            examples.append((t, line, raw))
        } else if let latest = examples.indices.max(by: { examples[$0].time < examples[$1].time }), t < examples[latest].time {
            examples[latest] = (t, line, raw)
        }
    }

    func merge(_ o: SectionAccumulator) {
        section.count.addSaturating(o.section.count)
        section.severity = max(section.severity, o.section.severity)
        section.firstSeen = min(section.firstSeen, o.section.firstSeen)
        section.lastSeen = max(section.lastSeen, o.section.lastSeen)
        if o.titleTime >= titleTime { titleTime = o.titleTime; section.title = o.section.title }
        if o.remediationTime < remediationTime { remediationTime = o.remediationTime; section.remediation = o.section.remediation }
        if o.referenceTime < referenceTime { referenceTime = o.referenceTime; section.reference = o.section.reference }
        for e in o.examples {
            if let k = examples.firstIndex(where: { $0.line == e.line }) { examples[k].time = min(examples[k].time, e.time) }
            else { insertExample(e.time, e.line, e.raw) }
        }
        ReportAccumulator.merge(&apps, o.apps); ReportAccumulator.merge(&hosts, o.hosts)
        ReportAccumulator.merge(&sources, o.sources); ReportAccumulator.merge(&tenants, o.tenants)
    }

    var result: Section {
        var s = section
        s.examples = examples.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element.line)
        s.apps = ReportAccumulator.buckets(apps)
        s.hosts = ReportAccumulator.buckets(hosts)
        s.sources = ReportAccumulator.buckets(sources)
        s.tenants = ReportAccumulator.buckets(tenants)
        return s
    }
}

extension Severity {
    /// Index into per-severity counters (allCases order), without building allCases per record.
    var slot: Int {
        switch self {
        case .info: return 0
        case .low: return 1
        case .medium: return 2
        case .high: return 3
        case .critical: return 4
        }
    }
}
