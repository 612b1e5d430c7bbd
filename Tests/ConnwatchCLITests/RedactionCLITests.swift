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
}
