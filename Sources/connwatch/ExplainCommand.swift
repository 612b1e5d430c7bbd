import ArgumentParser
import Foundation
import ConnwatchModel
import ConnwatchRules
import ConnwatchEngine

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show why a line did or did not match: prefilter hits, PCRE2 confirmation, fields, findings.",
        discussion: "Exit status: 0 when a line produced a finding, 1 when none did, 2 on error."
    )

    @Argument(help: "The log line to explain.")
    var line: String?

    @Option(help: "Explain every line of a small log file instead.")
    var file: String?

    @Option(help: "The app the line's input belongs to (as `scan --app`).")
    var app: String?

    @Option(help: "Language of titles and remediation: en or ko (default from LANG).")
    var lang: Language?

    @Flag(help: "Also explain lines without any prefilter hit (with --file).")
    var all = false

    @OptionGroup var ruleOptions: RuleOptions

    func validate() throws {
        if (line == nil) == (file == nil) { throw ValidationError("give either a LINE or --file FILE") }
    }

    func run() throws {
        let ruleSet = try ruleOptions.load()
        let scanner = Scanner(ruleSet)
        let lang = self.lang ?? Language.fromEnvironment(ProcessInfo.processInfo.environment)
        var lines: [(String?, [UInt8])] = []
        if let line {
            lines = [(nil, Array(line.utf8))]
        } else if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("\(file): cannot read") }
            lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated().map {
                ("\(file):\($0.offset + 1)", Array($0.element))
            }
            if lines.last?.1.isEmpty == true { lines.removeLast() }
        }
        var found = false
        var text = ""
        for (label, bytes) in lines {
            let (trace, findings) = scanner.explain(line: bytes, context: app)
            found = found || !findings.isEmpty
            if label != nil && trace.steps.isEmpty && !all { continue }
            text += describe(ruleSet, label: label, bytes: bytes, trace: trace, findings: findings, lang: lang)
        }
        if lines.count > 1 {
            text += "\(lines.count) lines, \(found ? "findings above" : "no findings")\n"
        }
        print(text, terminator: "")
        throw ExitCode(found ? Status.found : Status.none)
    }

    /// What Vectorscan matched for a pattern (1-based): one of its required literals (named) or its regex form.
    func prefilterHit(_ ruleSet: RuleSet, rule id: String, pattern: Int, _ bytes: [UInt8]) -> String {
        guard let rule = ruleSet.rule(id: id), let choice = ruleSet.prefilterChoice(rule: id, pattern: pattern) else { return "pattern \(pattern)" }
        switch choice {
        case .regex: return "pattern \(pattern) by its regex form"
        case .literals(let set):
            let hit = bytes.withUnsafeBytes { line in set.first { $0.occurs(in: line, caseless: rule.caseless) } }
            return "pattern \(pattern) by literal '\(hit?.description ?? set.map(\.description).joined(separator: "' | '"))'"
        }
    }

    func describe(_ ruleSet: RuleSet, label: String?, bytes: [UInt8], trace: Trace, findings: [Finding], lang: Language) -> String {
        // The line is echoed as findings carry it: redacted (fields come redacted from the scanner's trace).
        let shown = bytes.withUnsafeBytes { String(decoding: Redactor().redact($0), as: UTF8.self) }
        var s = VisibleText.escapingControls((label.map { "\($0): " } ?? "line: ") + shown) + "\n"
        if let app { s += "  declared app: \(app)\n" }
        if trace.steps.isEmpty {
            s += "  prefilter (Vectorscan): no pattern of any rule hit this line\n"
        } else {
            s += "  prefilter (Vectorscan): " + trace.steps.map { step in
                "\(step.rule) (" + step.prefilterPatterns.map { prefilterHit(ruleSet, rule: step.rule, pattern: $0, bytes) }.joined(separator: ", ") + ")"
            }.joined(separator: "; ") + "\n"
            for step in trace.steps {
                s += "  rule \(step.rule):\n"
                if let p = step.confirmedPattern {
                    s += "    confirmed by PCRE2 (pattern \(p))\n"
                    if !step.fields.isEmpty {
                        s += "    fields: " + VisibleText.escapingControls(step.fields.map { "\($0.name)=\($0.value)" }.joined(separator: " ")) + "\n"
                    }
                }
                s += "    → \(step.verdict)\n"
            }
        }
        for p in trace.policy { s += "  line policy: \(p)\n" }
        if findings.isEmpty {
            s += "  result: no finding\n\n"
        } else {
            s += "  result: \(findings.count) finding(s)\n"
            let encoder = JSONLinesEncoder(lang: lang)
            for f in findings {
                var out: [UInt8] = []
                encoder.encode(f, into: &out)
                if out.last == 0x0A { out.removeLast() }
                s += "    " + VisibleText.escapingControls(String(decoding: out, as: UTF8.self)) + "\n"
            }
            s += "\n"
        }
        return s
    }
}
