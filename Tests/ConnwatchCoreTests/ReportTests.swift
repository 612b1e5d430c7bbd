import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchRules
@testable import ConnwatchReports

@Suite struct ReportTests {
    let utc = TimeZone(identifier: "UTC")!

    func findingLine(_ time: String, rule: String = "aadsts.code", kind: String = "aadsts", code: String? = "50076",
                     app: String? = nil, severity: String = "medium", host: String = "h1", count: Int = 1,
                     tenant: String? = nil, line: String = "AADSTS50076 x", title: String? = nil,
                     eventTime: String? = nil, sourceHost: String? = nil) -> String {
        var o: [String: Any] = ["schema": 1, "time": time, "host": host, "rule": rule, "kind": kind, "severity": severity,
                                "title": title ?? "title of \(rule)", "remediation": "fix \(rule)", "origin": ["input": "journal", "unit": "app.service"],
                                "line": line, "count": count, "lang": "en"]
        o["app"] = app ?? NSNull()
        if let code { o["code"] = code }
        if let tenant { o["tenant_id"] = tenant }
        if let eventTime { o["event_time"] = eventTime }
        if let sourceHost { o["source_host"] = sourceHost }
        return String(decoding: try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }

    func write(_ lines: [String], _ name: String, gzip: Bool = false) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-report-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        if gzip {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/gzip")
            p.arguments = [path]
            try p.run(); p.waitUntilExit()
            return path + ".gz"
        }
        return path
    }

    @Test func summarisesADayAgainstThePreviousOne() throws {
        let previous = try write([
            findingLine("2026-11-19T10:00:00.000Z"),
            findingLine("2026-11-19T11:00:00.000Z", rule: "graph.access-denied", kind: "graph-authz", code: nil, severity: "high"),
        ], "findings.json.1", gzip: true)
        let current = try write([
            findingLine("2026-11-20T00:10:00.000Z", tenant: "t1"),
            // A throttle summary: 9 more occurrences.
            findingLine("2026-11-20T00:15:00.000Z", count: 9, tenant: "t1", line: "AADSTS50076 y"),
            findingLine("2026-11-20T05:00:00.000Z", code: "700016", severity: "high", host: "h2"),
            findingLine("2026-11-20T23:59:59.999Z", rule: "connector.okta.token", kind: "connector", code: nil, app: "okta", severity: "critical"),
            findingLine("2026-11-21T00:00:00.000Z"), // the next day: outside
            "not json",
            #"{"schema":1,"rule":"x"}"#,
        ], "findings.json")
        let (since, until) = try #require(ReportBuilder.day("2026-11-20", in: utc))
        let r = try ReportBuilder(since: since, until: until, timeZone: utc, lang: .en).build(paths: [previous, current])
        #expect(r.total == 12 && r.records == 4)
        #expect(r.previousTotal == 2)
        #expect(r.bySeverity.map(\.name) == ["critical", "high", "medium", "low", "info"])
        #expect(r.bySeverity.map(\.count) == [1, 1, 10, 0, 0])
        #expect(r.sections.map(\.key) == ["connector.okta.token [okta]", "aadsts.code AADSTS700016", "aadsts.code AADSTS50076"])
        let s = r.sections[2]
        #expect(s.count == 10 && s.tenants == [Bucket(name: "tenant=t1", count: 10)])
        #expect(s.examples == ["AADSTS50076 x", "AADSTS50076 y"])
        #expect(s.sources == [Bucket(name: "app.service", count: 10)])
        #expect(r.perHour.count == 24 && r.perHour[0].count == 10 && r.perHour[5].count == 1 && r.perHour[23].count == 1)
        #expect(Set(r.new.map(\.key)) == ["connector.okta.token [okta]", "aadsts.code AADSTS700016"])
        #expect(r.stopped.map(\.key) == ["graph.access-denied"])
        #expect(r.skippedCount == 2)
        #expect(r.skipped.first == current + ":6: not a JSON object")
        #expect(r.skipped.last == current + ":7: no 'time'")

        let md = MarkdownReport.render(r, lang: .en)
        #expect(md.contains("**Findings: 12** (previous period: 2, +10)"))
        #expect(md.contains("## [critical] connector.okta.token \\[okta\\]"))
        #expect(md.contains("- [high] graph.access-denied — title of graph.access-denied (1)"))
        let json = try JSONSerialization.jsonObject(with: Data(JSONReport.render(r).utf8)) as? [String: Any]
        #expect(json?["total"] as? Int == 12 && json?["since"] as? String == "2026-11-20T00:00:00.000Z")
        let html = HTMLReport.render(r, lang: .ko)
        #expect(html.contains("<html lang=\"ko\""))
        #expect(html.components(separatedBy: "class=\"bar\"").count - 1 == 3 + 3, "3 busy hours, 3 top rules")
        #expect(!html.contains("<script") && !html.contains("src=\"http"))
    }

    @Test func timestampsRoundTripAndOtherRFC3339FormsStillParse() {
        let t = Date(timeIntervalSince1970: 1_795_212_345.678)
        #expect(Timestamp.parse(Timestamp.iso8601(t)).map { abs($0.timeIntervalSince(t)) < 0.001 } == true)
        #expect(Timestamp.parse("2026-11-20T00:15:00Z") == Date(timeIntervalSince1970: 1_795_133_700))
        #expect(Timestamp.parse("2026-11-20T01:15:00+01:00") == Date(timeIntervalSince1970: 1_795_133_700))
        #expect(Timestamp.parse("2026-13-20T00:15:00.000Z") == nil)
    }

    @Test func aDaylightSavingDayHas25Hours() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let (since, until) = try #require(ReportBuilder.day("2026-10-25", in: berlin))
        #expect(until.timeIntervalSince(since) == 25 * 3600)
        let r = try ReportBuilder(since: since, until: until, timeZone: berlin, lang: .en).build(paths: [write([], "f.json")])
        #expect(r.perHour.count == 25 && r.total == 0)
        #expect(ReportBuilder.day("2026-02-30", in: berlin) == nil)
    }

    @Test func rotatedCopiesAreFoundOldestFirst() throws {
        let path = try write([findingLine("2026-11-20T01:00:00.000Z")], "findings.json")
        let dir = (path as NSString).deletingLastPathComponent
        for (i, name) in ["findings.json.2.gz", "findings.json.1", "findings.json-20261118", "other.json"].enumerated() {
            _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(),
                                           attributes: [.modificationDate: Date(timeIntervalSince1970: Double(1_000_000 - i * 1000))])
        }
        #expect(ReportBuilder.rotatedFiles(of: path).map { ($0 as NSString).lastPathComponent }
                == ["findings.json-20261118", "findings.json.1", "findings.json.2.gz", "findings.json"])
    }

    func build(_ paths: [String], day: String = "2026-11-20", zone: TimeZone? = nil, maxLineBytes: Int? = nil) throws -> Report {
        let zone = zone ?? utc
        let (since, until) = try #require(ReportBuilder.day(day, in: zone))
        var b = ReportBuilder(since: since, until: until, timeZone: zone, lang: .en)
        if let maxLineBytes { b.maxLineBytes = maxLineBytes }
        return try b.build(paths: [String](paths))
    }

    // MARK: The hand-written reader

    @Test func theScannerReadsWhatTheEncoderWritesWhateverTheStringsHold() throws {
        // Quotes, backslashes, every control character, DEL, Korean, an emoji, and text that looks like JSON.
        let nasty = "q\"b\\s" + String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }) + "\u{7F} 한국어 😀 {\"time\":1}"
        var f = sampleFinding(tenant: "t-\(nasty)", line: "AADSTS50076 \(nasty)")
        f.time = Date(timeIntervalSince1970: 1_795_133_700.25)
        f.host = "host \(nasty)"
        f.title = Localized(en: "title \(nasty)", ko: "제목")
        f.origin.unit = "unit-\(nasty)"
        var bytes: [UInt8] = []
        JSONLinesEncoder(lang: .en).encode(f, into: &bytes)
        let line = Array(bytes.dropLast())
        let scanned = try line.withUnsafeBytes { b in try FindingScanner.scan(b) }
        let text = { (r: StringRef?) in line.withUnsafeBytes { b in r.map { FindingScanner.text(b, $0) } } }
        #expect(scanned.time == 1_795_133_700.25)
        #expect(text(scanned.host) == "host \(nasty)")
        #expect(text(scanned.title) == "title \(nasty)")
        #expect(text(scanned.line) == "AADSTS50076 \(nasty)")
        #expect(text(scanned.tenantID) == "t-\(nasty)")
        #expect(text(scanned.unit) == "unit-\(nasty)")
        #expect(text(scanned.code) == "50076" && text(scanned.rule) == "aadsts.code" && scanned.severity == .medium)
        #expect(scanned.app == nil && scanned.count == 1 && scanned.eventTime == nil)
    }

    @Test func keysInAnyOrderEscapedKeysAndUnicodeEscapesAreRead() throws {
        let line = #"{"count":3 , "line":"a\/b \u00e9 \ud83d\ude00","origin":{"pid":"1","path":"/var/log/x"},"# +
            #""sev\u0065rity":"high","related":[{"rule":"r","n":[1,-2.5e3,true,false,null,{}]}],"rule":"graph.x","# +
            #""event_time":"2026-03-10T09:12:24.5+09:00","time":"2026-03-11T00:00:00Z","source_host":"web-1"}"#
        let bytes = Array(line.utf8)
        let f = try bytes.withUnsafeBytes { b in try FindingScanner.scan(b) }
        let text = { (r: StringRef?) in bytes.withUnsafeBytes { b in r.map { FindingScanner.text(b, $0) } } }
        #expect(f.count == 3 && f.severity == .high && text(f.rule) == "graph.x")
        #expect(text(f.line) == "a/b é 😀")
        #expect(text(f.path) == "/var/log/x" && text(f.sourceHost) == "web-1")
        #expect(f.eventTime == 1_773_101_544.5, "09:12:24.5+09:00 is 00:12:24.5Z")
        #expect(f.when == f.eventTime)
    }

    @Test func malformedLinesAreSkippedWithFileLineAndReason() throws {
        let ok = findingLine("2026-11-20T01:00:00.000Z")
        let bad: [(String, String)] = [
            (String(ok.dropLast()), "invalid JSON at byte"),                                   // truncated
            (ok.replacingOccurrences(of: "}", with: ",}"), "invalid JSON at byte"),            // trailing comma
            (ok.replacingOccurrences(of: "AADSTS50076 x", with: "AADSTS\\x"), "bad escape"),
            (ok.replacingOccurrences(of: "AADSTS50076 x", with: "a\tb"), "control character"),
            (ok.replacingOccurrences(of: "\"count\":1", with: "\"count\":01"), "'count' is not a positive integer"),
            (ok.replacingOccurrences(of: "\"count\":1", with: "\"count\":-1"), "'count' is not a positive integer"),
            (ok.replacingOccurrences(of: "\"count\":1", with: "\"count\":1.5"), "'count' is not a positive integer"),
            (ok + " {}", "text after the object"),
            (ok.replacingOccurrences(of: "\"lang\":\"en\"", with: "\"lang\":" + String(repeating: "[", count: 5000)), "nested too deeply"),
            (ok.replacingOccurrences(of: "2026-11-20T01:00:00.000Z", with: "2026-02-30T01:00:00.000Z"), "'time' is not RFC 3339"),
            (ok.replacingOccurrences(of: "\"lang\"", with: "\"event_time\":\"yesterday\",\"lang\""), "'event_time' is not RFC 3339"),
            ("[1,2]", "not a JSON object"),
        ]
        let path = try write([ok] + bad.map(\.0) + [ok], "findings.json")
        let r = try build([path])
        #expect(r.records == 2 && r.total == 2)
        #expect(r.skippedCount == bad.count && r.skipped.count == bad.count)
        for (k, (_, reason)) in bad.enumerated() {
            let entry = k < r.skipped.count ? r.skipped[k] : ""
            #expect(entry.hasPrefix("\(path):\(k + 2): ") && entry.contains(reason), "\(entry)")
        }
    }

    @Test func quotesBackslashesAndControlCharactersAreFoundAtEveryOffsetOfAWord() throws {
        // The scanner skips plain string bytes eight at a time: every position within a word must still count.
        for k in 0..<20 {
            let pad = String(repeating: "x", count: k), tail = String(repeating: "y", count: 20)
            for (inner, expected) in [("\\\"", "\""), ("\\\\", "\\"), ("\\n", "\n"), ("é", "é")] {
                let bytes = Array(#"{"time":"2026-11-20T01:00:00Z","rule":"r","severity":"low","line":""#.utf8)
                    + Array((pad + inner + tail).utf8) + Array(#""}"#.utf8)
                let f = try bytes.withUnsafeBytes { b in try FindingScanner.scan(b) }
                #expect(bytes.withUnsafeBytes { b in f.line.map { FindingScanner.text(b, $0) } } == pad + expected + tail)
            }
            for raw: UInt8 in [0x00, 0x09, 0x0A, 0x1F] {
                let bytes = Array(#"{"time":"2026-11-20T01:00:00Z","rule":"r","severity":"low","line":""#.utf8)
                    + Array(pad.utf8) + [raw] + Array(tail.utf8) + Array(#""}"#.utf8)
                #expect(throws: ReportInputError.self) { try bytes.withUnsafeBytes { b in try FindingScanner.scan(b) } }
            }
        }
    }

    // MARK: Hostile input (issue 11)

    @Test func countsNearInt64MaxSaturateAndOverflowingCountsAreRejected() throws {
        let path = try write([
            findingLine("2026-11-20T01:00:00.000Z", count: Int.max - 1),
            findingLine("2026-11-20T01:30:00.000Z", count: 5),
            findingLine("2026-11-20T02:00:00.000Z", host: "h2", count: Int.max),
            findingLine("2026-11-20T03:00:00.000Z").replacingOccurrences(of: "\"count\":1", with: "\"count\":9223372036854775808"),
            findingLine("2026-11-19T03:00:00.000Z", count: Int.max),
            findingLine("2026-11-19T04:00:00.000Z", count: Int.max),
        ], "findings.json")
        let r = try build([path])
        #expect(r.records == 3 && r.total == Int.max && r.previousTotal == Int.max)
        #expect(r.perHour[1].count == Int.max && r.perHour[2].count == Int.max)
        #expect(r.sections.first?.count == Int.max && r.hosts.map(\.count) == [Int.max, Int.max])
        #expect(r.skipped == ["\(path):4: 'count' is too large for a 64-bit integer"])
        // Every renderer copes with saturated counts (shares, bar lengths).
        #expect(MarkdownReport.render(r, lang: .en).contains("**Findings: \(Int.max)**"))
        #expect(HTMLReport.render(r, lang: .en).contains("\(Int.max)"))
        #expect(JSONReport.render(r).contains("\(Int.max)"))
    }

    @Test func aTooLongLineIsSkippedAndCountedAndReadingGoesOn() throws {
        let huge = String(repeating: "x", count: 3 << 20)
        let path = try write([findingLine("2026-11-20T01:00:00.000Z"), huge, findingLine("2026-11-20T02:00:00.000Z"),
                              "not json", "{" + huge], "findings.json")
        let r = try build([path], maxLineBytes: 1 << 20)
        #expect(r.records == 2)
        #expect(r.skipped == ["\(path):2: line longer than 1048576 bytes, skipped", "\(path):4: not a JSON object",
                              "\(path):5: line longer than 1048576 bytes, skipped"])
    }

    /// Peak resident memory of this process (the tests run in it) in MiB.
    func peakRSSMiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }

    @Test(.tags(.slow), .notInFastSet) func aGzipBombIsStreamedNotHeldInMemory() throws {
        let dir = (try write([], "x") as NSString).deletingLastPathComponent
        let bomb = dir + "/findings.json.1.gz"
        // 1 GiB of NULs without a newline, about 1 MiB compressed.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "head -c 1073741824 /dev/zero | gzip -1 > '\(bomb)'"]
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let before = peakRSSMiB()
        let r = try build([bomb, try write([findingLine("2026-11-20T01:00:00.000Z")], "findings.json")])
        #expect(r.records == 1)
        #expect(r.skipped == ["\(bomb):1: line longer than \(16 << 20) bytes, skipped"])
        // A whole-file read holds the gigabyte (and its String) at once; streaming holds one bounded line.
        #expect(peakRSSMiB() - before < 256, "peak RSS grew from \(before) to \(peakRSSMiB()) MiB")
    }

    @Test func datesThatDoNotExistAreRejected() {
        for bad in ["2026-13-01", "2026-00-10", "2026-02-30", "2026-02-29", "2026-04-31", "2026-1-01", "2026-01-01x", "20260101"] {
            #expect(ReportBuilder.day(bad, in: utc) == nil, "\(bad)")
        }
        #expect(ReportBuilder.day("2028-02-29", in: utc)?.0 == Timestamp.parse("2028-02-29T00:00:00Z"))
        #expect(ReportBuilder.day("2026-12-31", in: utc)?.1 == Timestamp.parse("2027-01-01T00:00:00Z"))
        for bad in ["2026-13-01 10:00", "2026-03-10 24:00", "2026-03-10 10:60", "2026-03-10 10:00:60"] {
            #expect(ReportBuilder.localTime(bad, in: utc) == nil, "\(bad)")
        }
        #expect(ReportBuilder.localTime("2026-03-10 10:05:07", in: utc) == Timestamp.parse("2026-03-10T10:05:07Z"))
        #expect(Timestamp.parse("2026-02-29T00:00:00Z") == nil && Timestamp.parse("2026-03-10T00:00:00+24:00") == nil)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cmark"), "needs cmark (make test installs it)"))
    func theMarkdownReportEscapesEveryField() throws {
        let evil = "<img src=x onerror=alert(1)>\n# owned\r\n[click](javascript:alert(1)) `code` | pipe"
        let path = try write([
            findingLine("2026-11-20T01:00:00.000Z", rule: "connector.x", kind: "connector", code: nil, app: "<b>app</b>\nx",
                        host: "<script>alert(1)</script>", tenant: "<i>t</i>", line: "```\n<script>alert(2)</script>\n````",
                        title: evil),
        ], "findings.json")
        var r = try build([path])
        r.sections[0].reference = "javascript:alert(3)"
        r.sources = ["/tmp/<u>x</u>\n# file"]
        let md = MarkdownReport.render(r, lang: .en)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/cmark")
        p.arguments = ["--unsafe"]      // pass raw HTML through, so any that reached the document shows
        let input = Pipe(), output = Pipe()
        p.standardInput = input; p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data(md.utf8)); try input.fileHandleForWriting.close()
        let html = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        for tag in ["<img", "<script", "<b>", "<i>", "<u>", "<h1>owned", "<h1>file", "href=\"javascript"] {
            #expect(!html.contains(tag), "\(tag) in \(html)")
        }
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt; # owned"))
        #expect(html.contains("<pre><code>```\n&lt;script&gt;alert(2)&lt;/script&gt;\n````\n</code></pre>"), "the example stays one literal block")
        #expect(html.components(separatedBy: "<h1>").count == 2, "only the report's own title is a level-1 heading")
    }

    // MARK: The event's own time and host (issue 12 §5)

    @Test func aCentralSyslogFileIsReportedByEventTimeAndSourceHost() throws {
        // Scanned in one go on the next morning by "collector": `time` and `host` say nothing about the events.
        let scanned = "2026-03-11T06:00:00.000Z"
        var lines: [String] = []
        let events: [(String, String, Int)] = [
            ("2026-03-10T00:12:24.000+00:00", "web-1", 1), ("2026-03-10T09:30:00.000+09:00", "web-2", 2),
            ("2026-03-10T13:05:00Z", "db-1", 3), ("2026-03-10T13:59:59.999Z", "web-1", 4),
            ("2026-03-10T18:00:00.000-05:00", "db-1", 5), ("2026-03-10T23:59:59.000Z", "web-2", 6),
        ]
        for (t, h, n) in events {
            lines.append(findingLine(scanned, host: "collector", count: n, line: "AADSTS50076 from \(h)", eventTime: t, sourceHost: h))
        }
        // Outside the day by their event time though scanned the same morning; the first is the previous day.
        lines.append(findingLine(scanned, rule: "graph.denied", kind: "graph-authz", code: nil, host: "collector",
                                 eventTime: "2026-03-09T22:00:00Z", sourceHost: "web-1"))
        lines.append(findingLine(scanned, host: "collector", eventTime: "2026-03-11T00:00:00Z", sourceHost: "web-1"))
        // Without event_time and source_host: `time` and `host` still count.
        lines.append(findingLine("2026-03-10T07:00:00.000Z", host: "scanner", count: 10))
        let r = try build([try write(lines, "central.json")], day: "2026-03-10")
        #expect(r.total == 31 && r.records == 7 && r.previousTotal == 1)
        var hours = [Int](repeating: 0, count: 24)
        hours[0] = 1; hours[0] += 2; hours[13] = 3 + 4; hours[23] = 5 + 6; hours[7] = 10
        #expect(r.perHour.map(\.count) == hours)
        #expect(r.hosts == [Bucket(name: "db-1", count: 8), Bucket(name: "scanner", count: 10),
                            Bucket(name: "web-1", count: 5), Bucket(name: "web-2", count: 8)].sorted { ($0.count, $1.name) > ($1.count, $0.name) })
        let s = try #require(r.sections.first)
        #expect(s.firstSeen == Timestamp.parse("2026-03-10T00:12:24Z") && s.lastSeen == Timestamp.parse("2026-03-10T23:59:59Z"))
        #expect(s.examples == ["AADSTS50076 from web-1", "AADSTS50076 from web-2", "AADSTS50076 x"])
        #expect(r.stopped.map(\.key) == ["graph.denied"] && r.new.isEmpty == false)
        // In Seoul (UTC+9) the same events fall on other local hours and days.
        let seoul = TimeZone(identifier: "Asia/Seoul")!
        let k = try build([try write(lines, "central.json")], day: "2026-03-10", zone: seoul)
        #expect(k.total == 1 + 2 + 3 + 4 + 10 + 1, "Seoul's 10 March is 9 March 15:00Z to 10 March 15:00Z")
    }

    // MARK: Reading in parallel

    @Test func chunkedAndParallelReadsGiveTheSameReportAsOneSequentialRead() throws {
        var lines: [String] = []
        for i in 0..<3000 {
            let t = String(format: "2026-11-20T%02d:%02d:%02d.000Z", (i / 120) % 24, (i / 2) % 60, i % 60)
            lines.append(findingLine(t, code: ["50076", "700016", "7000215"][i % 3], host: "h\(i % 7)", count: 1 + i % 4,
                                     tenant: "t\(i % 11)", line: "AADSTS line \(i % 5)"))
            if i % 500 == 7 { lines.append("garbage \(i)") }
            if i % 900 == 3 { lines.append("") }
        }
        let a = try write(lines, "findings.json"), b = try write(Array(lines.reversed()), "findings.json.1")
        let (since, until) = try #require(ReportBuilder.day("2026-11-20", in: utc))
        var sequential = ReportBuilder(since: since, until: until, timeZone: utc, lang: .en)
        sequential.chunkBytes = .max
        var chunked = sequential
        chunked.chunkBytes = 4096         // hundreds of chunks, most boundaries inside a line
        let now = Date()
        let one = try sequential.build(paths: [a, b], now: now), many = try chunked.build(paths: [a, b], now: now)
        #expect(one.records == 6000 && one.skippedCount == 12)
        #expect(one == many)
        #expect(many.skipped.first == "\(a):10: not a JSON object")
    }
}
