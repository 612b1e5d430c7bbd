import Foundation

/// A finding as read back from a findings file: only what reports use.
public struct FindingRecord: Sendable {
    public var time: Date
    public var host: String?
    public var rule: String
    public var kind: String
    public var app: String?
    public var severity: Severity
    public var title: String
    public var code: String?
    public var tenants: [String]
    public var remediation: String
    public var reference: String?
    public var source: String?
    public var line: String
    public var count: Int

    /// What a report section is: the rule; for AADSTS with the code, for connector errors with the app (each
    /// has its own remediation).
    public var key: String {
        if kind == "aadsts" { return "\(rule) AADSTS\(code ?? "?")" }
        if kind == "connector", let app { return "\(rule) [\(app)]" }
        return rule
    }

    /// Parses one JSON line; the error says which key is missing or wrong.
    public static func parse(_ line: Substring) -> Result<FindingRecord, ReportInputError> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)), let o = object as? [String: Any] else {
            return .failure(ReportInputError("not a JSON object"))
        }
        func string(_ k: String) -> String? { o[k] as? String }
        guard let timeText = string("time") else { return .failure(ReportInputError("no 'time'")) }
        guard let time = Timestamp.parse(timeText) else { return .failure(ReportInputError("'time' is not RFC 3339: \(timeText)")) }
        guard let rule = string("rule") else { return .failure(ReportInputError("no 'rule'")) }
        guard let severityText = string("severity"), let severity = Severity(rawValue: severityText) else {
            return .failure(ReportInputError("no valid 'severity'"))
        }
        let origin = o["origin"] as? [String: Any]
        let tenants = ["tenant_id", "client_id", "app_id"].compactMap { k in string(k).map { "\(k.dropLast(3))=\($0)" } }
        return .success(FindingRecord(
            time: time, host: string("host"), rule: rule, kind: string("kind") ?? "?", app: string("app"),
            severity: severity, title: string("title") ?? rule, code: string("code"), tenants: tenants,
            remediation: string("remediation") ?? "", reference: string("reference"),
            source: (origin?["unit"] as? String) ?? (origin?["identifier"] as? String) ?? (origin?["path"] as? String),
            line: string("line") ?? "", count: max(1, (o["count"] as? Int) ?? 1)))
    }
}

public struct ReportInputError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

extension Timestamp {
    /// RFC 3339 as connwatch writes it (UTC, milliseconds) and the usual variants (no fraction, offsets).
    public static func parse(_ s: String) -> Date? {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: s) { return d }
        iso.formatOptions = [.withInternetDateTime]
        return iso.date(from: s)
    }
}

/// Reads findings files (plain or gzip, as logrotate leaves them) and summarises a period.
public struct ReportBuilder {
    public var since: Date
    public var until: Date
    public var timeZone: TimeZone
    public var lang: Language
    public static let examplesPerSection = 3
    public static let skippedShown = 20

    public init(since: Date, until: Date, timeZone: TimeZone, lang: Language) {
        self.since = since; self.until = until; self.timeZone = timeZone; self.lang = lang
    }

    /// The findings file and its rotated copies (`F.1`, `F.2.gz`, `F-20261120`, `F-20261120.gz`), oldest first.
    public static func rotatedFiles(of path: String) -> [String] {
        let dir = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
        let rotated = entries.filter { $0.hasPrefix(name + ".") || $0.hasPrefix(name + "-") }
            .map { (dir as NSString).appendingPathComponent($0) }
        let mtime: (String) -> Date = { (try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date) ?? .distantPast }
        return rotated.sorted { mtime($0) < mtime($1) } + (FileManager.default.fileExists(atPath: path) ? [path] : [])
    }

    /// Reads `paths` and builds the report; unreadable files throw, unparsable lines are listed in `skipped`.
    public func build(paths: [String], now: Date = Date()) throws(InputError) -> Report {
        var report = Report(generated: now, since: since, until: until, timeZone: timeZone.identifier, lang: lang.rawValue)
        let previousStart = since.addingTimeInterval(-until.timeIntervalSince(since))
        var current: [FindingRecord] = [], previous: [FindingRecord] = []
        for path in paths {
            report.sources.append(path)
            let text = try Self.readText(path)
            var lineNumber = 0
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                if line.isEmpty { continue }
                switch FindingRecord.parse(line) {
                case .success(let r):
                    if r.time >= since && r.time < until { current.append(r) }
                    else if r.time >= previousStart && r.time < since { previous.append(r) }
                case .failure(let e):
                    report.skippedCount += 1
                    if report.skipped.count < Self.skippedShown { report.skipped.append("\(path):\(lineNumber): \(e)") }
                }
            }
        }
        report.records = current.count
        report.total = current.reduce(0) { $0 + $1.count }
        report.previousTotal = previous.reduce(0) { $0 + $1.count }
        report.bySeverity = Severity.allCases.reversed().map { s in
            Bucket(name: s.rawValue, count: current.filter { $0.severity == s }.reduce(0) { $0 + $1.count })
        }
        report.byKind = Self.buckets(current.map { ($0.kind, $0.count) })
        report.byApp = Self.buckets(current.map { ($0.app ?? "unknown", $0.count) })
        report.hosts = Self.buckets(current.compactMap { r in r.host.map { ($0, r.count) } })
        report.perHour = hourBuckets(current)
        report.sections = Self.sections(current)
        let previousSections = Dictionary(Self.sections(previous).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let currentKeys = Set(report.sections.map(\.key))
        report.new = report.sections.filter { previousSections[$0.key] == nil }
            .map { KeyCount(key: $0.key, title: $0.title, severity: $0.severity, count: $0.count) }
        report.stopped = previousSections.values.filter { !currentKeys.contains($0.key) }.sorted(by: Self.order)
            .map { KeyCount(key: $0.key, title: $0.title, severity: $0.severity, count: $0.count) }
        return report
    }

    static func readText(_ path: String) throws(InputError) -> String {
        var input = try OpenedInput.open(path)
        var data = [UInt8]()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try input.source.read(into: chunk)
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func buckets(_ pairs: [(String, Int)]) -> [Bucket] {
        var counts: [String: Int] = [:]
        for (name, n) in pairs { counts[name, default: 0] += n }
        return counts.map { Bucket(name: $0.key, count: $0.value) }.sorted { ($0.count, $1.name) > ($1.count, $0.name) }
    }

    static func order(_ a: Section, _ b: Section) -> Bool {
        if a.severity != b.severity { return a.severity > b.severity }
        if a.count != b.count { return a.count > b.count }
        return a.key < b.key
    }

    static func sections(_ records: [FindingRecord]) -> [Section] {
        var byKey: [String: Section] = [:]
        for r in records.sorted(by: { $0.time < $1.time }) {
            var s = byKey[r.key] ?? Section(key: r.key, rule: r.rule, code: r.code, kind: r.kind, severity: r.severity,
                                            title: r.title, count: 0, firstSeen: r.time, lastSeen: r.time, apps: [], hosts: [],
                                            sources: [], tenants: [], remediation: r.remediation, reference: r.reference, examples: [])
            s.count += r.count
            s.severity = max(s.severity, r.severity)
            s.lastSeen = r.time
            s.title = r.title
            if s.remediation.isEmpty { s.remediation = r.remediation }
            if s.examples.count < examplesPerSection && !r.line.isEmpty && !s.examples.contains(r.line) { s.examples.append(r.line) }
            s.apps.append(Bucket(name: r.app ?? "unknown", count: r.count))
            if let h = r.host { s.hosts.append(Bucket(name: h, count: r.count)) }
            if let src = r.source { s.sources.append(Bucket(name: src, count: r.count)) }
            for t in r.tenants { s.tenants.append(Bucket(name: t, count: r.count)) }
            byKey[r.key] = s
        }
        return byKey.values.map { s in
            var s = s
            s.apps = buckets(s.apps.map { ($0.name, $0.count) })
            s.hosts = buckets(s.hosts.map { ($0.name, $0.count) })
            s.sources = buckets(s.sources.map { ($0.name, $0.count) })
            s.tenants = buckets(s.tenants.map { ($0.name, $0.count) })
            return s
        }.sorted(by: order)
    }

    /// One bucket per clock hour of the period in the report's time zone (DST days have 23 or 25).
    func hourBuckets(_ records: [FindingRecord]) -> [HourBucket] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var starts: [Date] = []
        var t = calendar.dateInterval(of: .hour, for: since)?.start ?? since
        while t < until && starts.count < 24 * 62 {
            starts.append(t)
            t = t.addingTimeInterval(3600)
        }
        var counts = [Int](repeating: 0, count: starts.count)
        for r in records {
            let i = Int(r.time.timeIntervalSince(starts.first ?? since) / 3600)
            if i >= 0 && i < counts.count { counts[i] += r.count }
        }
        return zip(starts, counts).map { HourBucket(start: $0, count: $1) }
    }

    /// The local day `date` (YYYY-MM-DD) in `timeZone`, as [start, next day's start).
    public static func day(_ date: String, in timeZone: TimeZone) -> (Date, Date)? {
        let parts = date.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              calendar.component(.day, from: start) == parts[2],
              let end = calendar.date(byAdding: .day, value: 1, to: start) else { return nil }
        return (start, end)
    }

    /// Yesterday in `timeZone` as YYYY-MM-DD: what the daily timer reports on.
    public static func yesterday(now: Date = Date(), in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let d = calendar.date(byAdding: .day, value: -1, to: now)!
        let c = calendar.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
