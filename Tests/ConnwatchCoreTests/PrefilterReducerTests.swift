import Testing
@testable import ConnwatchEngine

@Suite struct PrefilterReducerTests {
    @Test(arguments: [
        // Optional edges and lookarounds dropped; the core stays.
        (#"(?:(?<![\w.])(?<s>4\d\d) .{0,300}?)?(?<code>InvalidAuthenticationToken)\b(?:.{0,600}?id=(?<t>\w+))?"#,
         #"(?<code>InvalidAuthenticationToken)\b"#),
        (#"AADSTS(?<code>\d{5,7})(?!\d)"#, #"AADSTS(?<code>\d{5,7})"#),
        // Long bounded repeats widen, short ones stay.
        (#"Foo.{0,400}?Bar[^"]{2,300}Baz\d{3}"#, #"Foo.*Bar[^"]{2,}Baz\d{3}"#),
        (#"(?:Bearer a|A)ccess token is empty\..{0,400}?(?<code>Invalid)"#, #"(?:Bearer a|A)ccess token is empty\..*(?<code>Invalid)"#),
        // Korean bytes survive untouched.
        ("SocketTimeoutException: (?:Read timed out|읽기 시간 초과됨)", "SocketTimeoutException: (?:Read timed out|읽기 시간 초과됨)"),
        // Inline options are never dropped; top-level alternation is left alone.
        ("(?i)foo(?:bar)?", "(?i)foo"),
        ("a(?:x)?|b", "a(?:x)?|b"),
        // Nothing but optional parts: unchanged (it would otherwise match everything).
        ("(?:abc)?", "(?:abc)?"),
        (#"\x41?Foo[]a]*"#, #"Foo"#),
    ])
    func reduces(pattern: String, expected: String) {
        #expect(PrefilterReducer.reduce(pattern) == expected)
    }

    /// The ripgrep/ugrep form: no lookaround, no empty branch where a lookaround was (ugrep refuses one), and
    /// no optional part that crosses a line end (rg refuses a newline in a pattern without -U).
    @Test(arguments: [
        (#"x(?:(?<!\w)(?=403)|HTTP )(?<s>403)"#, "x(?:(?:HTTP )?)(?:403)"),
        (#"graph/v1\.0\b(?:[^\n]{0,600}?\n){0,2}[^\n]{0,600}?Forbidden"#, #"graph/v1\.0\b[^\n]*Forbidden"#),
    ])
    func ripgrepForm(pattern: String, expected: String) {
        #expect(RuleSet.ripgrepForm(of: pattern, caseless: false) == expected)
    }

    /// Every shipped pattern has a form that line-oriented tools take: no newline escape, no empty branch.
    @Test func shippedPatternsHaveALineForm() throws {
        for (rule, pattern, caseless) in ShippedCatalogTests.ruleSet.exportedPatterns {
            let form = try #require(RuleSet.ripgrepForm(of: pattern, caseless: caseless), "\(rule.id)")
            let bytes = Array(form.utf8)
            #expect(!PrefilterReducer.containsNewline(bytes, 0..<bytes.count), "\(rule.id): \(form)")
            #expect(!form.contains("(?:|") && !form.contains("||") && !form.contains("|)"), "\(rule.id): \(form)")
        }
    }

    /// The reduced form must match every line the original matches (it may match more).
    @Test func reducedFormIsASuperset() throws {
        let ruleSet = ShippedCatalogTests.ruleSet
        let data = PCRE2MatchData()
        var checked = 0
        for rule in ruleSet.catalog.rules {
            let examples = (rule.matchExamples + rule.noMatchExamples).map(\.line)
            for pattern in rule.patterns {
                let original = try PCRE2Pattern(pattern, caseless: rule.caseless)
                let reduced = try PCRE2Pattern(RuleSet.prefilterForm(of: pattern), caseless: rule.caseless)
                for line in examples {
                    let bytes = Array(line.utf8)
                    bytes.withUnsafeBytes { buf in
                        if original.matches(buf, data) {
                            #expect(reduced.matches(buf, data), "\(rule.id): reduced \(pattern) misses \(line)")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 100)
    }
}
