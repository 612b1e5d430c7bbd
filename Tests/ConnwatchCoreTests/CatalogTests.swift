import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchRules
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// The shipped catalog under Rules/: it compiles, every example holds, and real logs give no finding.
@Suite struct ShippedCatalogTests {
    static let ruleSet: RuleSet = try! RuleSet.load(directories: [shippedRules])

    @Test func everyRuleExampleHolds() {
        let report = RuleTester(Self.ruleSet).run()
        #expect(report.examples > 0)
        #expect(report.failures.isEmpty, "\(report.failures.map(\.description).joined(separator: "\n"))")
    }

    /// fail2ban's bar: every shipped rule proves itself on at least two lines that must match and two
    /// look-alikes that must not.
    @Test func everyShippedRuleHasTwoExamplesEachWay() {
        for rule in Self.ruleSet.catalog.rules {
            #expect(rule.matchExamples.count >= 2, "\(rule.id): \(rule.matchExamples.count) match examples")
            #expect(rule.noMatchExamples.count >= 2, "\(rule.id): \(rule.noMatchExamples.count) no_match examples")
        }
        // Every AADSTS code of the reference (350 on 2025-02-03) has an entry in both languages.
        let entries = Self.ruleSet.catalog.catalogs["aadsts"]?.entries ?? [:]
        #expect(entries.count >= 350)
        for code in ["50020", "500208", "70002", "70008", "7000215", "50126", "53003", "65001"] {
            #expect(entries[code] != nil, "AADSTS\(code) missing")
        }
    }

    @Test func everyKindIsPresent() {
        let kinds = Set(Self.ruleSet.catalog.rules.map(\.kind))
        #expect(kinds == Set(RuleKind.allCases))
        #expect((Self.ruleSet.catalog.catalogs["aadsts"]?.entries.count ?? 0) > 0)
    }

    /// Real public logs (../shared/corpus) hold no connector or AADSTS errors: any finding is a false positive.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: sharedCorpus + "/loghub"),
                   "../shared/corpus is absent (it exists beside CI's clone only)"))
    func noFindingsOnRealLogs() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: sharedCorpus + "/loghub")
        let logs = names.filter { $0.hasSuffix(".log") }
        #expect(!logs.isEmpty)
        var lines = 0
        for name in logs.sorted() {
            let job = OneShotScan(Self.ruleSet)
            var findings: [Finding] = []
            try job.scan(path: sharedCorpus + "/loghub/" + name) { findings.append($0) }
            lines += 1
            #expect(findings.isEmpty, "false positives in \(name): \(findings.map { "\($0.rule): \($0.line)" })")
        }
        #expect(lines == logs.count)
    }
}

@Suite struct CatalogDocumentTests {
    /// docs/RULES.md is generated (`make docs`); a stale copy fails here.
    @Test func rulesDocumentIsCurrent() throws {
        let path = repositoryRoot + "/docs/RULES.md"
        let onDisk = try String(contentsOfFile: path, encoding: .utf8)
        let current = CatalogDocument.markdown(ShippedCatalogTests.ruleSet)
        #expect(onDisk == current, "docs/RULES.md is stale: run `make docs`")
        #expect(current.contains("`aadsts.code`"))
        #expect(current.contains("| 70008 | ExpiredOrRevokedGrant |"))
    }
}
