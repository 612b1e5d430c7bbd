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
