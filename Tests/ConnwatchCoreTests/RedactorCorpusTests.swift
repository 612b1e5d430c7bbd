import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// One line of Fixtures/redaction-corpus.txt: `INPUT |- secret |- … |+ kept |+ …`.
struct RedactionCase: Sendable, CustomTestStringConvertible {
    var number: Int
    var input: String
    var secrets: [String]
    var kept: [String]
    var testDescription: String { "corpus line \(number): \(input.prefix(70))" }

    static let path = repositoryRoot + "/Tests/ConnwatchCoreTests/Fixtures/redaction-corpus.txt"

    static let all: [RedactionCase] = {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { i, line in
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            // Split at " |- " and " |+ " only: an input may hold " | " (a shell pipe).
            var c = RedactionCase(number: i + 1, input: "", secrets: [], kept: [])
            var parts = line.components(separatedBy: " |")
            c.input = parts.removeFirst()
            while let part = parts.first, !part.hasPrefix("- ") && !part.hasPrefix("+ ") { c.input += " |" + parts.removeFirst() }
            for part in parts {
                let value = String(part.dropFirst(2))
                if part.hasPrefix("- ") { c.secrets.append(value) } else { c.kept.append(value) }
            }
            return c
        }
    }()
}

@Suite struct RedactorCorpusTests {
    let redactor = Redactor()

    @Test func corpusIsLargeAndWellFormed() {
        #expect(RedactionCase.all.count >= 100)
        for c in RedactionCase.all {
            #expect(!c.secrets.isEmpty || !c.kept.isEmpty, "line \(c.number) checks nothing")
            for s in c.secrets + c.kept { #expect(c.input.contains(s), "line \(c.number): '\(s)' is not in the input") }
        }
    }

    @Test(arguments: RedactionCase.all)
    func corpusCase(_ c: RedactionCase) {
        let out = redactor.redact(c.input)
        for s in c.secrets { #expect(!out.contains(s), "secret '\(s)' left in: \(out)") }
        for k in c.kept { #expect(out.contains(k), "'\(k)' lost in: \(out)") }
        // Redacting twice changes nothing: masks and kept text are stable.
        #expect(redactor.redact(out) == out)
    }

    /// Every line of the corpus through a real rule set and every encoder: the finding's line and fields,
    /// JSON (raw and decoded), text, and the journal entry's fields.
    @Test func corpusOnEveryOutputPath() throws {
        let dir = try rulesDirectory(["r.yaml": ruleYAML(id: "connector.probe", patterns: [#"connwatch-probe (?<trace_id>(?<detail>.*))"#],
                                                         match: ["connwatch-probe x"])])
        let set = try RuleSet.load(directories: [dir])
        let input = RedactionCase.all.map { "connwatch-probe " + $0.input + "\n" }.joined()
        let findings = try scanBytes(Array(input.utf8), set)
        try #require(findings.count == RedactionCase.all.count)
        let json = JSONLinesEncoder(lang: .en)
        let text = TextEncoder(lang: .en, color: false)
        for (c, f) in zip(RedactionCase.all, findings) {
            var jsonBytes: [UInt8] = []
            json.encode(f, into: &jsonBytes)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(jsonBytes)) as? [String: Any])
            var textBytes: [UInt8] = []
            text.encode(f, into: &textBytes)
            let journal = JournalOutput.fields(of: f, lang: .en, json: json).map { "\($0.0)=" + String(decoding: $0.1, as: UTF8.self) }
            let outputs: [(String, String)] = [
                ("line", f.line), ("field", f.field("detail") ?? ""), ("json", String(decoding: jsonBytes, as: UTF8.self)),
                ("json line", object["line"] as? String ?? ""), ("json field", object["detail"] as? String ?? ""),
                ("text", String(decoding: textBytes, as: UTF8.self)), ("journal", journal.joined(separator: "\n")),
            ]
            for (name, out) in outputs {
                for s in c.secrets { #expect(!out.contains(s), "line \(c.number): secret '\(s)' in \(name): \(out)") }
            }
            #expect(journal.contains { $0.hasPrefix("CONNWATCH_TRACE_ID=") })
            for k in c.kept {
                #expect(f.line.contains(k) && f.field("detail")?.contains(k) == true, "line \(c.number): '\(k)' lost")
            }
        }
    }

    /// A field that captures only the secret is masked by where it stands in the line.
    @Test func fieldsAreRedactedByTheirPlaceInTheLine() throws {
        let dir = try rulesDirectory(["r.yaml": ruleYAML(id: "connector.pw", patterns: [#"login failed password=(?<pw>\S+) user=(?<user>\S+)"#],
                                                         match: ["login failed password=x user=y"])])
        let set = try RuleSet.load(directories: [dir])
        let findings = try scanBytes(Array("login failed password=hunter2-Xyz user=alice\n".utf8), set)
        try #require(findings.count == 1)
        #expect(findings[0].field("pw") == Redactor.mask)
        #expect(findings[0].field("user") == "alice")
        #expect(findings[0].line == "login failed password=[REDACTED] user=alice")
        // `explain` shows the trace's fields: redacted the same way.
        let (trace, _) = Scanner(set).explain(line: Array("login failed password=hunter2-Xyz user=alice".utf8), context: nil)
        let fields = trace.steps.flatMap(\.fields)
        #expect(fields.contains { $0.name == "pw" && $0.value == Redactor.mask })
        #expect(!fields.contains { $0.value.contains("hunter2") })
    }

    /// A JWT cut by max_line_bytes (one segment and its dot, or two segments) is still a JWT.
    @Test func truncatedLinesKeepNoTokenTail() throws {
        let jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXBhcnQ"
        // max_line_bytes is at least 256: the token starts beyond that.
        let prefix = "connwatch-probe sending " + String(repeating: "ctx ", count: 60)
        let dir = try rulesDirectory(["r.yaml": ruleYAML(id: "connector.probe", patterns: [#"connwatch-probe (?<detail>.*)"#],
                                                         match: ["connwatch-probe x"])])
        for cut in [prefix.utf8.count + 37, prefix.utf8.count + 60, prefix.utf8.count + 80] {
            let set = try RuleSet.load(directories: [dir], maxLineBytes: cut)
            let findings = try scanBytes(Array((prefix + jwt + " done\n").utf8), set)
            try #require(findings.count == 1)
            #expect(findings[0].truncated)
            #expect(!findings[0].line.contains("eyJ"), "cut at \(cut): \(findings[0].line)")
        }
    }
}
