import Foundation
import Testing

/// The redaction corpus (Tests/ConnwatchCoreTests/Fixtures/redaction-corpus.txt) through the real binary: scan to
/// stdout as JSON and text, scan to a findings file, `explain LINE` and `explain --file`.
@Suite struct RedactionCLITests {
    /// (input, secrets) per corpus line; the format is described in the file's header.
    static let corpus: [(input: String, secrets: [String])] = {
        let path = root + "/Tests/ConnwatchCoreTests/Fixtures/redaction-corpus.txt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            // Markers are " |- " and " |+ "; an input may hold " | " (a shell pipe).
            let parts = line.components(separatedBy: " |")
            let first = parts.firstIndex { $0.hasPrefix("- ") || $0.hasPrefix("+ ") } ?? parts.count
            return (parts[..<first].joined(separator: " |"), parts[first...].filter { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) })
        }
    }()

    static func probeRules() throws -> String {
        try tempFile("probe.yaml", """
        rules:
          - id: connector.redaction-probe
            kind: connector
            severity: high
            title: {en: Redaction probe, ko: 마스킹 점검}
            remediation: {en: None, ko: 없음}
            patterns: ['connwatch-probe (?<trace_id>(?<detail>.*))']
            examples: {match: ['connwatch-probe x'], no_match: ['y']}
        """)
    }

    func expectNoSecret(_ output: String, _ path: String) {
        for (input, secrets) in Self.corpus {
            for s in secrets { #expect(!output.contains(s), "\(path): secret '\(s)' of '\(input.prefix(60))' in the output") }
        }
    }

    @Test(.tags(.slow), .notInFastSet)
    func everyOutputPathIsRedacted() throws {
        try #require(Self.corpus.count >= 100)
        let rules = try Self.probeRules()
        let log = try tempFile("corpus.log", Self.corpus.map { "connwatch-probe " + $0.input + "\n" }.joined())
        let base = ["--rules", rules]

        let json = try connwatch(["scan", "--no-throttle", "--format", "json"] + base + [log])
        #expect(json.status == 0)
        let objects = try jsonLines(json.stdout)
        #expect(objects.count == Self.corpus.count)
        expectNoSecret(json.stdout, "scan --format json")
        // Decoded, so a secret holding a quote or a backslash is not hidden by JSON escaping.
        expectNoSecret(objects.map { "\($0["line"] ?? "") \($0["detail"] ?? "") \($0["trace_id"] ?? "")" }.joined(separator: "\n"), "scan json (decoded)")

        let text = try connwatch(["scan", "--no-throttle", "--format", "text"] + base + [log])
        #expect(text.status == 0)
        expectNoSecret(text.stdout, "scan --format text")

        let findings = FileManager.default.temporaryDirectory.appendingPathComponent("cw-redact-\(UUID().uuidString).jsonl").path
        let toFile = try connwatch(["scan", "--no-throttle", "--output", "file:" + findings] + base + [log])
        #expect(toFile.status == 0)
        let written = try String(contentsOfFile: findings, encoding: .utf8)
        #expect(try jsonLines(written).count == Self.corpus.count)
        expectNoSecret(written, "findings file")

        let explainFile = try connwatch(["explain", "--file", log] + base)
        #expect(explainFile.status == 0)
        #expect(explainFile.stdout.contains("fields: trace_id="))
        expectNoSecret(explainFile.stdout, "explain --file")

        for (input, secrets) in Self.corpus where !secrets.isEmpty {
            let explain = try connwatch(["explain", "connwatch-probe " + input] + base)
            #expect(explain.status == 0)
            for s in secrets { #expect(!explain.stdout.contains(s), "explain: secret '\(s)' in: \(explain.stdout)") }
        }
    }

    /// A secret's name on one line, its value on the next (Kubernetes env, YAML, pretty-printed JSON, a HAR header
    /// pair, a folded header): each value line carries the probe, the name's line does not.
    static let acrossLines: [(name: String, value: String, secret: String)] = [
        ("    - name: DB_PASSWORD", "      value: Kube!Env_Pass1", "Kube!Env_Pass1"),
        ("  client_secret: |", "    Bl0ck-Scalar-Secret-Value", "Bl0ck-Scalar-Secret-Value"),
        ("  \"access_token\":", "      \"Js0n-Split-Token-Value\",", "Js0n-Split-Token-Value"),
        ("        \"name\": \"Authorization\",", "        \"value\": \"Bearer Har0paqueAccessToken_918273\"", "Har0paqueAccessToken_918273"),
        ("Authorization:", "\tBearer F0ldedBearerCredential_5566", "F0ldedBearerCredential_5566"),
    ]

    static func acrossLinesRules() throws -> String {
        try tempFile("probe-lines.yaml", """
        rules:
          - id: connector.redaction-probe
            kind: connector
            severity: high
            title: {en: Redaction probe, ko: 마스킹 점검}
            remediation: {en: None, ko: 없음}
            patterns: ['(?<detail>.*)PROBE-(?<n>\\d+)']
            examples: {match: ['x PROBE-1'], no_match: ['y']}
        """)
    }

    @Test func scanRedactsAValueWhoseNameIsOnTheLineBefore() throws {
        let text = Self.acrossLines.enumerated().map { k, f in "filler\n\(f.name)\n\(f.value) PROBE-\(k)\n" }.joined()
        let log = try tempFile("across.log", text)
        let run = try connwatch(["scan", "--no-throttle", "--format", "json", "--rules", try Self.acrossLinesRules(), log])
        #expect(run.status == 0)
        let objects = try jsonLines(run.stdout)
        #expect(objects.count == Self.acrossLines.count)
        for f in Self.acrossLines { #expect(!run.stdout.contains(f.secret), "'\(f.secret)' left in: \(run.stdout)") }
        #expect(run.stdout.contains("value: [REDACTED]"))
    }

    /// The daemon reads the name's line and the value's line in two reads (the value written after the daemon
    /// said it had read the name's line): the name is carried from one buffer to the next.
    @Test(.tags(.slow), .notInFastSet)
    func theDaemonRedactsAValueWhoseNameCameInAnEarlierRead() throws {
        let h = try DaemonHarness()
        try FileManager.default.copyItem(atPath: try Self.acrossLinesRules(), toPath: h.dir + "/rules.d/probe.yaml")
        h.append("start\n")
        try h.start()
        var lines = 1
        for (k, f) in Self.acrossLines.enumerated() {
            h.append(f.name + "\n")
            lines += 1
            #expect(h.notify.status { read, _ in read >= lines } != nil, "the daemon read line \(lines)")
            h.append("\(f.value) PROBE-\(k)\n")
            lines += 1
            // The count, not the probe: a block scalar's line is masked whole, the probe with it.
            #expect(h.waitFor { ((try? jsonLines(h.lastOutput()).count) ?? 0) > k }, "finding \(k)")
        }
        #expect(h.stop().status == 0)
        let out = h.lastOutput()
        #expect(try jsonLines(out).count == Self.acrossLines.count)
        for f in Self.acrossLines { #expect(!out.contains(f.secret), "'\(f.secret)' left in: \(out)") }
    }
}
