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
        if let d = parseUTC(s) { return d }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: s) { return d }
        iso.formatOptions = [.withInternetDateTime]
        return iso.date(from: s)
    }
}

extension Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, the form `iso8601(_:)` writes, without a formatter: a report parses one per
    /// finding, and creating ISO8601DateFormatter each time was most of a report's run time.
    static func parseUTC(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count == 20 || b.count == 24, b.last == UInt8(ascii: "Z"), b[4] == 45, b[7] == 45, b[10] == 84,
              b[13] == 58, b[16] == 58 else { return nil }
        func num(_ from: Int, _ n: Int) -> Int? {
            var v = 0
            for c in b[from..<from + n] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = num(0, 4), let month = num(5, 2), let day = num(8, 2), let hour = num(11, 2),
              let minute = num(14, 2), let second = num(17, 2), (1...12).contains(month), (1...31).contains(day),
              hour < 24, minute < 60, second < 61 else { return nil }
        var ms = 0
        if b.count == 24 {
            guard b[19] == 46, let f = num(20, 3) else { return nil }
            ms = f
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900); parts.tm_mon = Int32(month - 1); parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour); parts.tm_min = Int32(minute); parts.tm_sec = Int32(second)
        let t = timegm(&parts)
        return Date(timeIntervalSince1970: Double(t) + Double(ms) / 1000)
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

    /// One section as it grows, mutated in place: a Section copied out of a dictionary per record would copy
    /// its lists each time (quadratic in a day with many tenants).
    final class SectionAccumulator {
        var section: Section
        var apps: [String: Int] = [:], hosts: [String: Int] = [:], sources: [String: Int] = [:], tenants: [String: Int] = [:]
        init(_ r: FindingRecord) {
            section = Section(key: r.key, rule: r.rule, code: r.code, kind: r.kind, severity: r.severity, title: r.title,
                              count: 0, firstSeen: r.time, lastSeen: r.time, apps: [], hosts: [], sources: [], tenants: [],
                              remediation: r.remediation, reference: r.reference, examples: [])
        }

        func add(_ r: FindingRecord) {
            section.count += r.count
            section.severity = max(section.severity, r.severity)
            section.lastSeen = r.time
            section.title = r.title
            if section.remediation.isEmpty { section.remediation = r.remediation }
            if section.examples.count < examplesPerSection && !r.line.isEmpty && !section.examples.contains(r.line) {
                section.examples.append(r.line)
            }
            apps[r.app ?? "unknown", default: 0] += r.count
            if let h = r.host { hosts[h, default: 0] += r.count }
            if let src = r.source { sources[src, default: 0] += r.count }
            for t in r.tenants { tenants[t, default: 0] += r.count }
        }

        var result: Section {
            var s = section
            s.apps = buckets(apps.map { ($0.key, $0.value) })
            s.hosts = buckets(hosts.map { ($0.key, $0.value) })
            s.sources = buckets(sources.map { ($0.key, $0.value) })
            s.tenants = buckets(tenants.map { ($0.key, $0.value) })
            return s
        }
    }

    static func sections(_ records: [FindingRecord]) -> [Section] {
        var byKey: [String: SectionAccumulator] = [:]
        for r in records.sorted(by: { $0.time < $1.time }) {
            let acc = byKey[r.key] ?? SectionAccumulator(r)
            byKey[r.key] = acc
            acc.add(r)
        }
        return byKey.values.map(\.result).sorted(by: order)
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
