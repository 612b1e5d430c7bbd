import Foundation
import Testing
@testable import ConnwatchCore

@Suite struct ReportTests {
    let utc = TimeZone(identifier: "UTC")!

    func findingLine(_ time: String, rule: String = "aadsts.code", kind: String = "aadsts", code: String? = "50076",
                     app: String? = nil, severity: String = "medium", host: String = "h1", count: Int = 1,
                     tenant: String? = nil, line: String = "AADSTS50076 x") -> String {
        var o: [String: Any] = ["schema": 1, "time": time, "host": host, "rule": rule, "kind": kind, "severity": severity,
                                "title": "title of \(rule)", "remediation": "fix \(rule)", "origin": ["input": "journal", "unit": "app.service"],
                                "line": line, "count": count, "lang": "en"]
        o["app"] = app ?? NSNull()
        if let code { o["code"] = code }
        if let tenant { o["tenant_id"] = tenant }
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
        #expect(md.contains("## [critical] connector.okta.token [okta]"))
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
}
