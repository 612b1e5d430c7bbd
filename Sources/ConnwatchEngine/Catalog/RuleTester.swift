import ConnwatchRules
/// Runs every rule's `examples.match` / `examples.no_match` against the whole compiled rule set, the way
/// lines are really scanned (prefilter, confirm, app decision, line policy).
package struct RuleTester {
    package struct Failure: Sendable, CustomStringConvertible {
        package var location: SourceLocation
        package var ruleID: String
        package var message: String
        package var description: String { "\(location): rule '\(ruleID)': \(message)" }
    }

    package struct Report: Sendable {
        package var examples = 0
        package var failures: [Failure] = []
    }

    let scanner: Scanner
    package init(_ ruleSet: RuleSet) { scanner = Scanner(ruleSet) }

    package func run() -> Report {
        var report = Report()
        for rule in scanner.ruleSet.catalog.rules {
            for (i, example) in rule.matchExamples.enumerated() {
                report.examples += 1
                if let problem = checkMatch(rule, example) {
                    report.failures.append(Failure(location: example.source, ruleID: rule.id,
                                                   message: "match example \(i + 1): \(problem)\n    line: \(example.line)"))
                }
            }
            for (i, example) in rule.noMatchExamples.enumerated() {
                report.examples += 1
                let (_, findings) = scanner.explain(line: Array(example.line.utf8), context: example.context)
                if findings.contains(where: { $0.rule == rule.id || $0.related.contains { $0.rule == rule.id } }) {
                    report.failures.append(Failure(location: example.source, ruleID: rule.id,
                                                   message: "no_match example \(i + 1) produced a finding\n    line: \(example.line)"))
                }
            }
        }
        return report
    }

    func checkMatch(_ rule: Rule, _ example: RuleExample) -> String? {
        let (trace, findings) = scanner.explain(line: Array(example.line.utf8), context: example.context)
        guard let finding = findings.first(where: { $0.rule == rule.id }) else {
            if findings.contains(where: { $0.related.contains { $0.rule == rule.id } }) {
                return example.app == nil && example.fields.isEmpty ? nil
                    : "the code was folded into another finding ('related'), so app/fields cannot be checked"
            }
            let step = trace.steps.first { $0.rule == rule.id }
            let why = step?.verdict ?? "the prefilter did not report any pattern of this rule"
            let others = findings.map(\.rule)
            return "no finding (\(why))" + (others.isEmpty ? "" : "; the line produced: \(others.joined(separator: ", "))")
        }
        if let expected = example.app {
            if expected == "unknown" {
                if finding.app != nil || finding.candidates.isEmpty {
                    return "expected app unknown with candidates, got app \(finding.app ?? "none") with \(finding.candidates.count) candidate(s)"
                }
            } else if finding.app != expected {
                let got = finding.app ?? "unknown (candidates: \(finding.candidates.map(\.app).joined(separator: ", ")))"
                return "expected app \(expected), got \(got)"
            }
        }
        for (name, value) in example.fields.sorted(by: { $0.key < $1.key }) {
            let got = finding.field(name)
            if got != value { return "expected field \(name)=\(value), got \(got.map { "\(name)=\($0)" } ?? "no \(name)")" }
        }
        return nil
    }
}
