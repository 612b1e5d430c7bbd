import Foundation
import Testing

/// Real third-party programs on connwatch's output: headless Chromium on the HTML report, rsyslog forwarding the
/// findings file. `make test` (scripts/setup.sh) installs both from Debian's packages.
@Suite(.serialized) struct IntegrationTests {
    let example = root + "/examples/logs/cloud-connectors.log"

    func workDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-integ-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func htmlReportRendersInHeadlessChromiumWithItsCharts() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "needs chromium (make test installs it)")
        let dir = try workDir()
        let findings = dir + "/findings.json"
        #expect(try connwatch(["scan", "--no-throttle", "--output", "file:" + findings, example]).status == 0)
        // The report places findings at their event_time (the example lines' own timestamps): cover those.
        let times = try String(contentsOfFile: findings, encoding: .utf8).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap { $0["event_time"] ?? $0["time"] } as? String
        }.sorted()
        let first = try #require(times.first.flatMap(parseRFC3339)), last = try #require(times.last.flatMap(parseRFC3339))
        let since = rfc3339(first.addingTimeInterval(-3600)), until = rfc3339(last.addingTimeInterval(3600))
        let json = try connwatch(["report", "--format", "json", "--since", since, "--until", until, findings])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let hours = (report["per_hour"] as? [[String: Any]] ?? []).filter { ($0["count"] as? Int ?? 0) > 0 }.count
        let rules = min(10, (report["sections"] as? [Any])?.count ?? 0)
        #expect(hours >= 1 && rules >= 5)
        let html = try connwatch(["report", "--format", "html", "--lang", "ko", "--since", since, "--until", until,
                                  "--output", dir + "/report.html", findings])
        #expect(html.status == 0)
        let check = try run("/usr/bin/python3", [root + "/Tests/integration/render_check.py", "--hour-bars", "\(hours)",
                                                 "--rule-bars", "\(rules)", dir + "/report.html", dir + "/png"])
        print(check.stdout)
        #expect(check.status == 0, "render check: \(check.stdout)")
        #expect(check.stdout.contains("light: ok") && check.stdout.contains("dark: ok"))
    }

    @Test func rsyslogForwardsEveryFindingWholeAcrossRotation() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/rsyslogd"), "needs rsyslog (make test installs it)")
        let dir = try workDir()
        // Long (60 KiB) and Korean findings must arrive whole too.
        let long = "Nov 21 07:02:44 h app[1]: AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication. " + String(repeating: "x", count: 60_000) + "\n"
        try (String(contentsOfFile: example, encoding: .utf8) + long).write(toFile: dir + "/in.log", atomically: true, encoding: .utf8)
        let findings = dir + "/findings.json"
        let r = try run("/usr/bin/python3", [root + "/Tests/integration/rsyslog_forward.py", "--findings", findings, "--rotate", "--",
                                             binary(), "scan", "--no-throttle", "--lang", "ko", "--rules", root + "/Rules",
                                             "--output", "file:" + findings, dir + "/in.log"])
        print(r.stdout)
        #expect(r.status == 0, "rsyslog: \(r.stdout)")
        #expect(r.stdout.contains("findings forwarded whole"))
    }
}

/// RFC 3339 UTC, as connwatch writes times.
func rfc3339(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    return f.string(from: d)
}

/// connwatch's timestamps (`2026-11-21T07:02:44.000Z`).
func parseRFC3339(_ s: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: s)
}
