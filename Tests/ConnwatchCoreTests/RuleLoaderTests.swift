import Foundation
import Testing
@testable import ConnwatchRules
@testable import ConnwatchEngine

/// Each kind of rule-file mistake, with its exact message (file, line, rule id).
@Suite struct RuleLoaderTests {
    @Test func validRulesLoad() throws {
        let dir = try rulesDirectory(["apps.yaml": appsYAML, "r.yaml": ruleYAML(id: "connector.a", patterns: ["HttpRequestFailure"])])
        let set = try RuleSet.load(directories: [dir])
        #expect(set.ruleCount == 1)
        #expect(set.patternCount == 1)
    }

    @Test func yamlSyntaxError() throws {
        let errors = try loadErrors(["bad.yaml": "rules:\n  - id: x\n    kind: [connector\n"])
        #expect(errors.count == 1)
        #expect(errors[0].hasPrefix("bad.yaml:4: YAML syntax error:"))
    }

    @Test func unknownKey() throws {
        let errors = try loadErrors(["r.yaml": ruleYAML(id: "connector.a", patterns: ["Foo"], extra: "colour: red")])
        #expect(errors == ["r.yaml:9: rule 'connector.a': unknown key 'colour' in a rule (allowed: id, kind, severity, title, remediation, patterns, caseless, requires, excludes, extract, app, apps, context, per_match, catalog, supersedes, references, examples)"])
    }

    @Test func missingRequiredKey() throws {
        let yaml = "rules:\n  - id: connector.a\n    kind: connector\n    severity: high\n    title: {en: a, ko: 가}\n    patterns: [Foo]\n    examples: {match: [Foo], no_match: [Bar]}\n"
        let errors = try loadErrors(["r.yaml": yaml])
        #expect(errors == ["r.yaml:2: rule 'connector.a': missing required key 'remediation'"])
    }

    @Test func badEnumValue() throws {
        let yaml = ruleYAML(id: "connector.a", patterns: ["Foo"]).replacingOccurrences(of: "severity: high", with: "severity: urgent")
        let errors = try loadErrors(["r.yaml": yaml])
        #expect(errors == ["r.yaml:4: rule 'connector.a': 'severity' is 'urgent', expected one of: info, low, medium, high, critical"])
    }

    @Test func missingKoreanText() throws {
        let yaml = ruleYAML(id: "connector.a", patterns: ["Foo"]).replacingOccurrences(of: "title: {en: T connector.a, ko: 제목 connector.a}", with: "title: {en: T}")
        let errors = try loadErrors(["r.yaml": yaml])
        #expect(errors == ["r.yaml:5: rule 'connector.a': 'title' needs 'ko'"])
    }

    @Test func badRegexNamesOffsetAndPCRE2Message() throws {
        let errors = try loadErrors(["r.yaml": ruleYAML(id: "connector.a", patterns: ["Foo(bar"])])
        #expect(errors == ["r.yaml:8: rule 'connector.a': pattern 1 does not compile: PCRE2 error at offset 7: missing closing parenthesis"])
    }

    @Test func duplicateIDInOneDirectory() throws {
        let errors = try loadErrors([
            "a.yaml": ruleYAML(id: "connector.a", patterns: ["Foo"]),
            "b.yaml": ruleYAML(id: "connector.a", patterns: ["Bar"]),
        ])
        #expect(errors.count == 1)
        #expect(errors[0].hasPrefix("b.yaml:2: rule 'connector.a': duplicate rule id (first defined at "))
        #expect(errors[0].hasSuffix("a.yaml:2)"))
    }

    @Test func unknownAppCatalogAndSupersedes() throws {
        let rule = ruleYAML(id: "connector.a", patterns: ["Foo"], extra: "app: nosuchapp\nsupersedes: [connector.zzz]")
        let errors = try loadErrors(["r.yaml": rule, "c.yaml": ruleYAML(id: "aadsts.x", kind: "aadsts", patterns: [#"AADSTS(?<code>\d{5})"#], extra: "catalog: nope")])
        #expect(Set(errors) == [
            "c.yaml:2: rule 'aadsts.x': unknown catalog 'nope'",
            "r.yaml:2: rule 'connector.a': unknown app 'nosuchapp' (define it under 'apps:')",
            "r.yaml:2: rule 'connector.a': supersedes unknown rule 'connector.zzz'",
        ])
    }

    @Test func reservedGroupNameAndEmptyMatch() throws {
        let errors = try loadErrors(["r.yaml": ruleYAML(id: "connector.a", patterns: ["(?<severity>Foo)", "x*"])])
        #expect(errors == [
            "r.yaml:8: rule 'connector.a': pattern 1: group name 'severity' is reserved for the finding itself",
            "r.yaml:9: rule 'connector.a': pattern 2 matches an empty line, so it would match every line",
        ])
    }

    @Test func examplesAreRequired() throws {
        let yaml = "rules:\n  - id: connector.a\n    kind: connector\n    severity: high\n    title: {en: a, ko: 가}\n    remediation: {en: a, ko: 가}\n    patterns: [Foo]\n    examples: {match: [Foo]}\n"
        let errors = try loadErrors(["r.yaml": yaml])
        #expect(errors == ["r.yaml:8: rule 'connector.a': 'examples' needs at least one 'no_match' line"])
    }

    @Test func catalogEntryMistakes() throws {
        let yaml = codesYAML + """

            "12345":
              name: Foo
              category: weather
              severity: low
              title: {en: a, ko: 가}
              remediation: {en: a, ko: 가}
        """
        let errors = try loadErrors(["c.yaml": yaml, "r.yaml": aadstsRuleYAML])
        #expect(errors == ["c.yaml:25: rule 'aadsts:12345': 'category' is 'weather', expected one of: user-action, admin-configuration, app-registration, conditional-access, token-lifetime, transient, tenant"])
    }

    @Test func laterDirectoryOverridesByID() throws {
        let shipped = try rulesDirectory(["r.yaml": ruleYAML(id: "connector.a", patterns: ["Foo"]) + "\n" +
                                          ruleYAML(id: "connector.b", patterns: ["Baz"]).replacingOccurrences(of: "rules:\n", with: "")])
        let local = try rulesDirectory(["r.yaml": ruleYAML(id: "connector.a", patterns: ["Bar"])])
        let set = try RuleSet.load(directories: [shipped, local])
        #expect(set.ruleCount == 2)
        #expect(set.rule(id: "connector.a")?.patterns == ["Bar"])
        let findings = try scanBytes(Array("Foo\nBar\nBaz\n".utf8), set)
        #expect(findings.map(\.rule) == ["connector.a", "connector.b"])
        #expect(findings.map(\.line) == ["Bar", "Baz"])
    }

    @Test func missingDirectoryIsAnError() throws {
        #expect(throws: RuleErrors.self) { try RuleLoader.load(directories: ["/nonexistent/rules"]) }
    }
}
