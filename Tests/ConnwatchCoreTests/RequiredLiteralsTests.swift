import Foundation
import Testing
@testable import ConnwatchEngine

@Suite struct RequiredLiteralsTests {
    static func described(_ set: Set<RequiredLiteral>?) -> [String]? { set.map { $0.map(\.description).sorted() } }

    /// The best required set (strong or not) of patterns with tricky syntax.
    @Test(arguments: [
        // Real rule patterns.
        ("Service [Tt]imeout", ["Service (?i:t)imeout"]),
        ("SocketTimeoutException: (?:Read timed out|읽기 시간 초과됨)",
         ["SocketTimeoutException: Read timed out", "SocketTimeoutException: 읽기 시간 초과됨"]),
        (#"\bIgniteException\b"#, ["IgniteException"]),
        (#"Request failed with status code (?<http_status>402)\.?\s+Payment Required"#, ["Payment Required"]),
        // A literal followed by something that may cross a line end is not taken: the last one is.
        (#"ContextManagerServiceException: \{\\*"error\\*":\s*\\*"(?<error>invalid_grant)\\*""#, [#""invalid_grant"#]),
        (#"(?:Bearer a|A)ccess token is empty\b.*(?<code>Invalid)"#, ["Access token is empty", "Bearer access token is empty"]),
        // Case-insensitive groups and option settings.
        ("(?i:forbidden) request", ["(?i:forbidden) request"]),
        ("(?i)Access(?-i) Denied", ["(?i:access) Denied"]),
        ("[Ee]rror(?i: CODE)", ["(?i:e)rror (?i:code)"]),
        // Escapes: punctuation, \x, \t; class escapes break the run.
        (#"a\.b\x41\x{42}\tTokenExpired\d+"#, ["a.bAB\tTokenExpired"]),
        // Optional groups and lookarounds contribute nothing; the rest does.
        (#"(?<=Prefix)Remainder(?:Optional)?(?=Suffix)"#, ["Remainder"]),
        (#"(?:opt)?Middle(?!x)"#, ["Middle"]),
        // Alternation at the top: one literal of each branch.
        ("ErrorAccessDenied|Authorization_RequestDenied", ["Authorization_RequestDenied", "ErrorAccessDenied"]),
        // A small class multiplies; a fixed repeat too.
        (#"code["']:(?:ab){2}"#, [#"code":abab"#, "code':abab"]),
        // UTF-8 Korean literal bytes, alone and next to an optional byte.
        ("서비스 시간 초과", ["서비스 시간 초과"]),
        // An empty branch: both strings.
        ("(?:abc|)def", ["abcdef", "def"]),
        // A backreference is unknown text: the literal after it still counts.
        (#"(\w+)=\1 was rejected"#, [" was rejected"]),
    ])
    func extracts(pattern: String, expected: [String]) {
        #expect(Self.described(RequiredLiterals.requiredSet(of: pattern)) == expected, "\(pattern)")
    }

    /// Not understood, or nothing required: no literal set (the pattern keeps its regex form).
    @Test(arguments: [
        #"\QGraphError\E"#,                 // \Q…\E: the reducer's parser does not take it
        "(*UTF)abcdefgh",                   // verbs
        "(?x)abc def ghi",                  // extended mode: whitespace is not literal
        "(?(1)abcdefgh|ijklmnop)",          // conditionals
        #"\d+\s+\w*"#,                      // no literal at all
        "(?:abcdefgh)?",                    // everything optional
    ])
    func unknownOrNone(pattern: String) {
        let set = RequiredLiterals.requiredSet(of: pattern)
        #expect(set == nil, "\(pattern): \(String(describing: Self.described(set)))")
        #expect(RequiredLiterals.strongSet(of: pattern) == nil)
    }

    /// Strength: long, letters, not a host name; cut to the most telling 16 bytes.
    @Test func onlyStrongSetsReplaceTheRegexForm() {
        #expect(RequiredLiterals.strongSet(of: #"\bNullPointerException\b"#)?.map(\.description) == ["NullPointerExcep"]) // cut
        #expect(RequiredLiterals.strongSet(of: #"AF(?:10001|429)"#) == nil)          // short
        #expect(RequiredLiterals.strongSet(of: #"\d+ 40[13]: \d{2,} 1234567890"#) == nil) // digits
        #expect(RequiredLiterals.strongSet(of: #"graph\.microsoft\.com/v1\.0/users"#) == nil) // a host
        #expect(RequiredLiterals.strongSet(of: #"(?:graph\.microsoft\.com|login\.live\.com)/\S+ returned Forbidden"#)?
            .map(\.description) == [" returned Forbid"])
        #expect(RuleSet.prefilterChoice(of: #"AADSTS(?<code>\d{5,7})"#) == .regex(#"AADSTS(?<code>\d{5,7})"#))
        // A weak start gives way to a stronger window.
        #expect(RequiredLiterals.strongSet(of: #"["']-2147024891, System\.UnauthorizedAccessException"#)?.map(\.description) == ["ystem.Unauthoriz"])
        #expect(RuleSet.prefilterForm(of: "Service [Tt]imeout now") == #"Service\x20(?i:t)imeout\x20"#)
    }

    /// Tricky patterns with lines they match, mutated many times: whenever PCRE2 matches, a literal of the
    /// set lies inside the match with no newline between its end and the match's end.
    static let tricky: [(String, Bool, [String])] = [
        (#"(?i:\berror[ _]?code|\bcode)\s*[=:]?\s*(?<code>AF(?:10001|200[0-9][0-9]|429|50000))\b"#, false,
         ["error_code=AF20012", "Code : AF429 x", "ERRORCODE AF50000"]),
        (#"HttpRequestFailure: (?:Server returned|서버에서 반환함): (?<http_status>500) (?:(?i:Internal server error)|내부 서버 오류)"#, false,
         ["HttpRequestFailure: Server returned: 500 INTERNAL SERVER ERROR", "HttpRequestFailure: 서버에서 반환함: 500 내부 서버 오류"]),
        (#"(?:Bearer a|A)ccess token is empty\..*(?<code>InvalidAuthenticationToken)\b"#, false,
         ["Bearer access token is empty. code InvalidAuthenticationToken", "Access token is empty.InvalidAuthenticationToken"]),
        (#"body\\*"\s*:\s*\\*"\{\\*"error\\*"\s*:\s*\\*"(?<error>invalid_grant)\\*""#, false,
         [#"body\":\"{\"error\":\"invalid_grant\""#, "body\" :\n \"{\"error\" : \"invalid_grant\""]),
        (#"(?<code>MailboxNotEnabledForRESTAPI|MailboxNotSupportedForRESTAPI)\b"#, true,
         ["mailboxnotenabledforrestapi", "MailboxNotSupportedForRESTAPI."]),
        (#"(?<=\s)Fail(?:ed|ure)(?= )[^\n]{0,20}TokenRevoked"#, false, [" Failed  x TokenRevoked", "\tFailure aTokenRevoked"]),
        (#"Status: (?<s>40[13]) \((?:Forbidden|Unauthorized)\)\s*ErrorCode: "#, false,
         ["Status: 403 (Forbidden) ErrorCode: ", "Status: 401 (Unauthorized)\nErrorCode: "]),
        (#"(\w+) denied \1 for SomeLongerName"#, false, ["bob denied bob for SomeLongerName"]),
    ]

    @Test func everyMatchHoldsALiteral() throws {
        var generator = SeededGenerator(state: 7)
        let data = PCRE2MatchData()
        var cases = Self.tricky
        for rule in ShippedCatalogTests.ruleSet.catalog.rules {
            for p in rule.patterns { cases.append((p, rule.caseless, rule.matchExamples.map(\.line))) }
        }
        var checked = 0
        for (pattern, caseless, lines) in cases {
            let required = RequiredLiterals.requiredSet(of: pattern)
            // What Vectorscan compiles: cut literals of the reduced form.
            var chosen: [RequiredLiteral]? = nil
            if case .literals(let set) = RuleSet.prefilterChoice(of: pattern) { chosen = set }
            guard required != nil || chosen != nil else { continue }
            let compiled = try PCRE2Pattern(pattern, caseless: caseless)
            for line in lines {
                for round in 0..<300 {
                    let subject = round == 0 ? Array(line.utf8) : Self.mutate(Array(line.utf8), &generator)
                    subject.withUnsafeBytes { raw in
                        guard let m = compiled.match(raw, data) else { return }
                        let inside = UnsafeRawBufferPointer(rebasing: raw[m.range])
                        let text = String(decoding: inside, as: UTF8.self)
                        if let required {
                            #expect(Self.holds(required, inside, caseless: caseless, onLastLine: true),
                                    "\(pattern): no literal of \(required.map(\.description)) on the last line of \(text)")
                        }
                        if let chosen {
                            #expect(Self.holds(chosen, inside, caseless: caseless, onLastLine: false),
                                    "\(pattern): no literal of \(chosen.map(\.description)) in \(text)")
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 5000)
    }

    /// The app detectors' databases compile any required set, weak literals too: each shipped detect pattern
    /// PCRE2 matches on a line (every rule example, and mutations of them) is reported by its app's database.
    @Test func shippedDetectorsAreFoundByTheirLiterals() throws {
        let ruleSet = ShippedCatalogTests.ruleSet
        var generator = SeededGenerator(state: 11)
        let data = PCRE2MatchData()
        let lines = ruleSet.catalog.rules.flatMap { r in (r.matchExamples + r.noMatchExamples).map(\.line) }
        var literal = 0, total = 0, checked = 0
        for (app, definition) in ruleSet.catalog.apps.sorted(by: { $0.key < $1.key }) {
            let choices = definition.detect.map { RuleSet.detectorChoice(of: $0, RuleSet.prefilterChoice(of: $0)) }
            total += choices.count
            literal += choices.filter { if case .literals = $0 { true } else { false } }.count
            let db = try VectorscanDatabase(choices.map { .init(pattern: $0.expression, caseless: false) })
            let scratch = VectorscanScratch(db, patternCount: choices.count)
            let patterns = try definition.detect.map { try PCRE2Pattern($0) }
            for line in lines {
                for round in 0..<20 {
                    let subject = round == 0 ? Array(line.utf8) : Self.mutate(Array(line.utf8), &generator)
                    subject.withUnsafeBytes { raw in
                        scratch.scan(raw)
                        for (i, pattern) in patterns.enumerated() where pattern.matches(raw, data) {
                            #expect(scratch.hits.ids.contains(i), "\(app) detect pattern \(i + 1) not reported on \(String(decoding: raw, as: UTF8.self))")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 500)
        // Most detect patterns compile as literals (the point of the weaker choice).
        #expect(literal * 10 >= total * 8, "\(literal) of \(total) detect patterns by literals")
    }

    /// Whether a literal of `set` occurs in `match`; with `onLastLine`, ending after its last line end.
    static func holds(_ set: some Sequence<RequiredLiteral>, _ match: UnsafeRawBufferPointer, caseless: Bool, onLastLine: Bool) -> Bool {
        let lastLine = onLastLine ? (match.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) : 0
        for literal in set where literal.bytes.count <= match.count {
            for start in 0...(match.count - literal.bytes.count) {
                let end = start + literal.bytes.count
                if end > lastLine, literal.occurs(in: UnsafeRawBufferPointer(rebasing: match[start..<end]), caseless: caseless) {
                    return true
                }
            }
        }
        return false
    }

    /// Changes that keep many lines matching: letter case, a doubled or dropped byte, spaces and line ends.
    static func mutate(_ s: [UInt8], _ g: inout SeededGenerator) -> [UInt8] {
        var s = s
        for _ in 0..<Int.random(in: 1...3, using: &g) where !s.isEmpty {
            let i = Int.random(in: 0..<s.count, using: &g)
            switch Int.random(in: 0..<6, using: &g) {
            case 0: if isLetter(s[i]) { s[i] ^= 0x20 }
            case 1: s.insert(s[i], at: i)
            case 2: s.remove(at: i)
            case 3: s.insert(0x20, at: i)
            case 4: s.insert(0x0A, at: i)
            default: s = Array("x\n".utf8) + s + Array(" y".utf8)
            }
        }
        return s
    }
}
