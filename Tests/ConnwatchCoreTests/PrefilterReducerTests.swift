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

    /// After a line gap, atoms with no required literal up to the next literal become what the gap cannot
    /// already match: nothing, or an optional line end and what may follow it.
    @Test(arguments: [
        (#"graph/v1\b(?:[^\n]*\n){0,2}[^\n]*(?:(?<!\w)(?=403)|(?:HTTP|->)\s*[:=]?\s*['"(]?(?=403))(?<s>403)"#,
         #"graph/v1\b(?:[^\n]*\n){0,2}[^\n]*(?:\n(?:\s*[:=]?\s*['"(]?|\s*['"(]?))?(?<s>403)"#),
        (#"Foo.{0,400}?(?:\d+|x{2})(?=y)\bBar"#, #"Foo.*Bar"#),
        (#"Foo[^\n]+(?i:\s*\d)Bar"#, #"Foo[^\n]+(?:\n(?i:\s*\d))?Bar"#),
        (#"Foo.*\s(?:error|fail)\s*Bar"#, #"Foo.*(?:\n)?(?:error|fail)\s*Bar"#),
        (#"Foo.*\b(?:returned|->)\s*Bar"#, #"Foo.*(?:returned|->)\s*Bar"#),
        // A literal in only one branch is not required.
        (#"Foo.*(?:\s*error|\d)\s*Bar"#, #"Foo.*(?:\n(?:\s*error\s*|\s*))?Bar"#),
        // Kept: a literal right after the gap, a run with a required literal, nothing literal after the run,
        // dotall, an option setting, a backreference that may cross a line end, a possessive gap.
        (#"Foo.*(?:error|fail)\s*Bar"#, #"Foo.*(?:error|fail)\s*Bar"#),
        (#"Foo.*\s+\d+"#, #"Foo.*\s+\d+"#),
        (#"(?s)Foo.*\s+Bar"#, #"(?s)Foo.*\s+Bar"#),
        (#"Foo.*(?i)\s+Bar"#, #"Foo.*(?i)\s+Bar"#),
        (#"(x)Foo.*\1Bar"#, #"(x)Foo.*\1Bar"#),
        (#"Foo.*+\s*Bar"#, #"Foo.*+\s*Bar"#),
    ])
    func lineGapAbsorbs(pattern: String, expected: String) {
        #expect(PrefilterReducer.reduce(pattern) == expected)
    }

    /// Hits keep their line: wherever a shipped pattern's match ends, in one line or across the lines of an
    /// event, a match of its Vectorscan form ends on the same line (the line a hit is assigned to).
    @Test func prefilterFormHitsTheLineWhereMatchesEnd() throws {
        let ruleSet = ShippedCatalogTests.ruleSet
        let data = PCRE2MatchData()
        let heads = ["GET https://graph.microsoft.com/v1.0/me/messages", "https://graph.microsoft.us/beta/users x", "POST /v1.0/users"]
        let middles = ["", " ", "\n", " id=1\n", "\nline two\n", "\nline two\nline three\n", " -> ", "\n status:\n\n", " HTTP/1.1 ",
                       " returned an error status ", " Status Code: ", " StatusCode=\"", "\n\t= '", " returned: ", " (", " resulted in a "]
        let tails = ["403 Forbidden", "401 Unauthorized", "403)", "401 Non autorisé", "403\n", "403.5", "4031"]
        var subjects: [String] = []
        for h in heads { for m in middles { for t in tails { subjects.append(h + m + t) } } }
        subjects += ruleSet.catalog.rules.flatMap { r in (r.matchExamples + r.noMatchExamples).map(\.line) }
        var checked = 0, crossing = 0
        for (rule, pattern, caseless) in ruleSet.exportedPatterns {
            let original = try PCRE2Pattern(pattern, caseless: caseless)
            let form = RuleSet.prefilterForm(of: pattern)
            // A match of the form with no line end between its end and the end of the subject.
            let onLastLine = try PCRE2Pattern("(?:" + form + ")(?=[^\\n]*\\z)", caseless: caseless)
            for subject in subjects {
                let bytes = Array(subject.utf8)
                bytes.withUnsafeBytes { buf in
                    var from = 0
                    while from <= buf.count, let m = original.match(buf, from: from, data) {
                        let end = m.range.upperBound
                        let lineEnd = end > 0 && buf[end - 1] == 0x0A ? end - 1 : (buf[end...].firstIndex(of: 0x0A) ?? buf.count)
                        #expect(onLastLine.matches(UnsafeRawBufferPointer(rebasing: buf[..<lineEnd]), data),
                                "\(rule.id): \(form) does not hit the line where a match ends at \(end) of \(subject)")
                        checked += 1
                        if buf[m.range].contains(0x0A) { crossing += 1 }
                        from = max(end, m.range.lowerBound + 1)
                    }
                }
            }
        }
        #expect(checked > 200)
        #expect(crossing > 20) // matches across lines were among them
    }

    /// The ripgrep/ugrep form: no lookaround, no empty branch where a lookaround was (ugrep refuses one), and
    /// no optional part that crosses a line end (rg refuses a newline in a pattern without -U).
    @Test(arguments: [
        (#"x(?:(?<!\w)(?=403)|HTTP )(?<s>403)"#, "x(?:(?:HTTP )?)(?:403)"),
        // a group of lookarounds only (Graph codes after `\u0022` or `&quot;`) leaves no empty group behind
        (#"(?:(?<![\w.])|(?<=\\u0022|&quot;))(?<code>InvalidAuthenticationToken)\b"#, #"(?:InvalidAuthenticationToken)\b"#),
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
            #expect(!form.contains("(?:|") && !form.contains("||") && !form.contains("|)") && !form.contains("(?:)"),
                    "\(rule.id): \(form)")
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
