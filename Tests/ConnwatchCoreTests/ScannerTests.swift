import Foundation
import Testing
import Synchronization
@testable import ConnwatchModel
@testable import ConnwatchEngine

@Suite struct ScannerTests {
    static func set(_ files: [String: String], maxLineBytes: Int = RuleSet.defaultMaxLineBytes) throws -> RuleSet {
        try RuleSet.load(directories: [try rulesDirectory(files)], maxLineBytes: maxLineBytes)
    }

    static let basic: [String: String] = [
        "apps.yaml": appsYAML, "codes.yaml": codesYAML, "aadsts.yaml": aadstsRuleYAML,
        "c.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout"]),
    ]

    @Test func findsOnlyMatchingLinesWithOffsets() throws {
        let text = "ok line\nService timeout here\nanother\r\nService timeout\r\n"
        let findings = try scanBytes(Array(text.utf8), Self.set(Self.basic))
        #expect(findings.map(\.line) == ["Service timeout here", "Service timeout"])
        #expect(findings.map(\.origin.offset) == [8, 38])
    }

    @Test func lineSplitAcrossReadsIsSeenWhole() throws {
        let line = "prefix Service timeout suffix AADSTS50020 end"
        let text = String(repeating: "filler line number something\n", count: 50) + line + "\n" + "tail\n"
        for step in [1, 3, 7, 64, 4096] {
            let findings = try scanBytes(Array(text.utf8), Self.set(Self.basic), chunkBytes: step)
            #expect(findings.count == 1, "read size \(step)")
            #expect(findings.first?.line == line)
            #expect(findings.first?.related.map(\.code) == ["50020"])
        }
    }

    @Test func lastLineWithoutNewlineIsScanned() throws {
        let findings = try scanBytes(Array("a\nService timeout".utf8), Self.set(Self.basic))
        #expect(findings.map(\.line) == ["Service timeout"])
    }

    @Test func invalidUTF8AndNULBytesDoNotBreakScanning() throws {
        var bytes = Array("\u{0}\u{0}bin\n".utf8)
        bytes += [0xFF, 0xFE, 0xC3, 0x28, 0x20] + Array("Service timeout".utf8) + [0x00, 0x80, 0x0A]
        bytes += Array("AADSTS70008\n".utf8)
        let findings = try scanBytes(bytes, Self.set(Self.basic))
        #expect(findings.map(\.rule) == ["connector.timeout", "aadsts.code"])
        #expect(findings[0].line == "\u{FFFD}\u{FFFD}\u{FFFD}( Service timeout\u{0}\u{FFFD}")
        var json: [UInt8] = []
        JSONLinesEncoder(lang: .en).encode(findings[0], into: &json)
        let object = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any]
        #expect(object?["line"] as? String == findings[0].line)
    }

    @Test func overlongLinesAreTruncatedAndMarked() throws {
        let set = try Self.set(Self.basic, maxLineBytes: 1024)
        // Inside one read: a 200 KB line whose match is near its start.
        let long = "Service timeout " + String(repeating: "x", count: 200_000)
        var findings = try scanBytes(Array((long + "\nService timeout\n").utf8), set)
        #expect(findings.count == 2)
        #expect(findings[0].truncated)
        #expect(findings[0].line.utf8.count == 1024)
        #expect(!findings[1].truncated)
        #expect(findings[1].origin.offset == UInt64(long.utf8.count + 1))
        // Across many small reads (the reader's bounded-memory path), then a normal line after it.
        findings = try scanBytes(Array((long + "\nService timeout\n").utf8), set, chunkBytes: 5000)
        #expect(findings.map(\.truncated) == [true, false])
        #expect(findings.map(\.origin.offset) == [0, UInt64(long.utf8.count + 1)])
        // A match beyond the cut is not seen: the line is its first max_line_bytes bytes.
        let late = String(repeating: "y", count: 5000) + " Service timeout"
        findings = try scanBytes(Array((late + "\n").utf8), set)
        #expect(findings.isEmpty)
    }

    @Test func everyCodeOnALineIsReportedAndLongestCodeWins() throws {
        let findings = try scanBytes(Array("err AADSTS500208 then AADSTS50020, again AADSTS50020 and AADSTS12345678\n".utf8), Self.set(Self.basic))
        #expect(findings.map { $0.field("code") } == ["500208", "50020"])
        #expect(findings.map(\.title.en) == ["long code", "short code"])
        #expect(findings.map(\.reference) == ["https://login.microsoftonline.com/error?code=500208",
                                              "https://login.microsoftonline.com/error?code=50020"])
    }

    @Test func unknownCodeStillProducesAFindingWithLookupAddress() throws {
        let findings = try scanBytes(Array("AADSTS99999: something new\n".utf8), Self.set(Self.basic))
        #expect(findings.count == 1)
        #expect(findings[0].title.en == "T aadsts.code")
        #expect(findings[0].codeName == nil)
        #expect(findings[0].reference == "https://login.microsoftonline.com/error?code=99999")
    }

    @Test func caseInsensitivityIsPerRule() throws {
        var files = Self.basic
        files["i.yaml"] = ruleYAML(id: "connector.caseless", patterns: ["read timed out"], extra: "caseless: true")
        let findings = try scanBytes(Array("SocketTimeoutException: Read Timed Out\nSERVICE TIMEOUT\n".utf8), Self.set(files))
        #expect(findings.map(\.rule) == ["connector.caseless"])
    }

    @Test func patternsVectorscanRejectsGoThroughThePrefilter() throws {
        var files = Self.basic
        // Back-reference and lookbehind: not supported exactly by Vectorscan.
        files["p.yaml"] = ruleYAML(id: "connector.backref", patterns: [#"(?<=token )(\w+)-\1\b"#])
        let set = try Self.set(files)
        #expect(set.prefilteredCount >= 1)
        let findings = try scanBytes(Array("token abc-abc\ntoken abc-abd\n".utf8), set)
        #expect(findings.map(\.line) == ["token abc-abc"])
    }

    @Test func requiresAndExcludes() throws {
        var files = Self.basic
        files["r.yaml"] = ruleYAML(id: "connector.npe", patterns: ["NullPointerException"],
                                   extra: "requires: ['adallom']\nexcludes: ['TestRunner']")
        let text = "java.lang.NullPointerException\ncom.adallom.x NullPointerException\ncom.adallom TestRunner NullPointerException\n"
        let findings = try scanBytes(Array(text.utf8), Self.set(files))
        #expect(findings.map(\.line) == ["com.adallom.x NullPointerException"])
    }

    @Test func namedGroupsBecomeFieldsAndExtractAddsMore() throws {
        var files = Self.basic
        files["g.yaml"] = ruleYAML(id: "connector.http", patterns: [#"Server returned: (?<http_status>\d{3}) "#],
                                   extra: #"extract: ['Trace ID: (?<trace_id>[0-9a-f-]{36})']"#)
        let line = "HttpRequestFailure: Server returned: 401 Unauthorized Trace ID: 0f6c1f6e-3c2d-4b8e-9d55-0b3e5e2c7a00"
        let findings = try scanBytes(Array((line + "\n").utf8), Self.set(files))
        #expect(findings.count == 1)
        #expect(findings[0].fields.map(\.name) == ["http_status", "trace_id"])
        #expect(findings[0].field("http_status") == "401")
        var json: [UInt8] = []
        JSONLinesEncoder(lang: .en).encode(findings[0], into: &json)
        let object = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any]
        #expect(object?["http_status"] as? Int == 401)
        #expect(object?["trace_id"] as? String == "0f6c1f6e-3c2d-4b8e-9d55-0b3e5e2c7a00")
    }

    @Test func manyHitsOnOneLineGiveOneFinding() throws {
        let line = String(repeating: "Service timeout ", count: 1000)
        let findings = try scanBytes(Array((line + "\n" + line + "\n").utf8), Self.set(Self.basic))
        #expect(findings.count == 2)
    }

    /// `scan` builds no trace and redacts only for findings (keys of per-match rules are compared unredacted
    /// until a rule makes findings); `explain` does every step. Both must give the same findings, with the
    /// shipped rules, on lines where that shortcut could matter: codes inside masked values, more distinct codes
    /// than a line may report, context-required rules with and without an app, several rules on one line.
    @Test func scanGivesTheFindingsExplainGives() throws {
        let ruleSet = try RuleSet.load(directories: [shippedRules])
        let codes = (0..<25).map { "AADSTS5\(String(format: "%04d", 10 + $0))" }
        let lines = [
            "java.lang.NullPointerException at com.example.Worker.run(Worker.java:42)",
            "ERROR Office365Connector - java.lang.NullPointerException while polling activities",
            "ERROR AwsConnector java.lang.NullPointerException; Office365Connector also failed",
            "token request failed: client_secret=AADSTS50011 then AADSTS50011: The redirect URI does not match",
            "login failed password=AADSTS50126&next=1 AADSTS50126: Error validating credentials",
            "sign-in failed with " + codes.joined(separator: " then retry failed with "),
            "sign-in failed: " + codes.map { "secret=\($0)&x=1 retry" }.joined(separator: " "),
            "Graph call failed: 401 InvalidAuthenticationToken Access token has expired AADSTS700082: The refresh token has expired",
            "Okta connector: Service timeout after 30s AADSTS50020: User account from identity provider does not exist",
            "nothing to see here",
            // The first code lies inside a masked secret: its key is "[REDACTED]", not "50011", so the two
            // codes are two findings (compared unredacted they would be one).
            "token call failed client_secret=Xk9vQ2hpAADSTS50011.Qm9vYmFyYmF6cXV4Zm9vYmFy then AADSTS50011: The redirect URI does not match",
        ]
        let explainer = Scanner(ruleSet)
        var findingLines = 0
        for line in lines {
            let scanned = try scanBytes(Array((line + "\n").utf8), ruleSet)
            let (_, explained) = explainer.explain(line: Array(line.utf8), context: nil)
            func normalized(_ findings: [Finding]) -> [Finding] {
                findings.map { var f = $0; f.origin = Origin(input: "x"); return f }
            }
            #expect(normalized(scanned) == normalized(explained), "\(line)")
            if !scanned.isEmpty { findingLines += 1 }
        }
        #expect(findingLines >= 5, "the lines must exercise the finding path")
        let masked = try scanBytes(Array((lines.last! + "\n").utf8), ruleSet)
        #expect(masked.map { $0.field("code") } == ["[REDACTED]", "50011"])
    }
}

/// Which app a connector finding names, and what one line with several rules turns into.
@Suite struct ClassificationTests {
    static func files() -> [String: String] {
        let shared = ruleYAML(id: "connector.http-401", patterns: ["HttpRequestFailure: Server returned: (?<http_status>401) Unauthorized"], extra: """
        apps:
          okta: {remediation: {en: reconnect okta, ko: okta 다시 연결}, severity: high}
          office365: {remediation: {en: test again, ko: 다시 테스트}, severity: low}
          exchange-online: {title: {en: bad password, ko: 암호 오류}, remediation: {en: check password, ko: 암호 확인}, severity: medium}
        """)
        let npe = ruleYAML(id: "connector.npe", patterns: ["NullPointerException"], extra: """
        context: required
        apps:
          office365: {remediation: {en: support, ko: 지원}}
        """).replacingOccurrences(of: "rules:\n", with: "")
        let token = ruleYAML(id: "connector.o365-token", patterns: [#"TokenRefreshException: \{"error":"invalid_grant""#],
                             extra: "app: office365").replacingOccurrences(of: "rules:\n", with: "")
        let box = ruleYAML(id: "connector.box-token", patterns: [#"ContextManagerServiceException: .*TokenRefreshException"#],
                           extra: "app: box\nsupersedes: [connector.o365-token]").replacingOccurrences(of: "rules:\n", with: "")
        return ["apps.yaml": appsYAML, "codes.yaml": codesYAML, "aadsts.yaml": aadstsRuleYAML,
                "c.yaml": shared + npe + token + box]
    }

    func scan(_ line: String, context: String? = nil) throws -> [Finding] {
        try scanBytes(Array((line + "\n").utf8), RuleSet.load(directories: [rulesDirectory(Self.files())]), context: context)
    }

    @Test func appFromTheLine() throws {
        let f = try scan("GET https://dev-1234.okta.com/api/v1/logs HttpRequestFailure: Server returned: 401 Unauthorized")
        #expect(f.map(\.app) == ["okta"])
        #expect(f[0].remediation.en == "reconnect okta")
        #expect(f[0].severity == .high)
        #expect(f[0].candidates.isEmpty)
    }

    @Test func appFromTheDeclaredInput() throws {
        let f = try scan("HttpRequestFailure: Server returned: 401 Unauthorized", context: "exchange-online")
        #expect(f.map(\.app) == ["exchange-online"])
        #expect(f[0].title.en == "bad password")
    }

    @Test func unknownAppListsEveryCandidateNeverGuesses() throws {
        let f = try scan("HttpRequestFailure: Server returned: 401 Unauthorized")
        #expect(f.count == 1)
        #expect(f[0].app == nil)
        #expect(f[0].candidates.map(\.app) == ["okta", "office365", "exchange-online"])
        #expect(f[0].candidates.map(\.remediation.en) == ["reconnect okta", "test again", "check password"])
        #expect(f[0].severity == .high) // the worst candidate's
        // Two apps named on the line: only those two are candidates.
        let two = try scan("okta to Exchange Online bridge: HttpRequestFailure: Server returned: 401 Unauthorized")
        #expect(two[0].candidates.map(\.app) == ["okta", "exchange-online"])
    }

    @Test func genericTextsNeedConnectorContext() throws {
        #expect(try scan("java.lang.NullPointerException at com.example.Foo").isEmpty)
        #expect(try scan("Office 365 poller: java.lang.NullPointerException").map(\.app) == ["office365"])
        #expect(try scan("java.lang.NullPointerException", context: "office365").map(\.app) == ["office365"])
        #expect(try scan("java.lang.NullPointerException", context: "okta").isEmpty)
    }

    @Test func aadstsCodesOnAConnectorLineAreFoldedIntoIt() throws {
        let line = #"TokenRefreshException: {"error":"invalid_grant","error_description":"AADSTS70002: Error validating credentials. AADSTS70008: The provided authorization code or refresh token is expired."#
        let f = try scan(line)
        #expect(f.map(\.rule) == ["connector.o365-token"])
        #expect(f[0].related.map(\.code) == ["70002", "70008"])
        #expect(f[0].related[1].codeName == "ExpiredOrRevokedGrant")
    }

    @Test func supersedesKeepsTheSpecificRule() throws {
        let line = #"ContextManagerServiceException: com.adallom.adalib.httputils.exceptions.TokenRefreshException: {"error":"invalid_grant","error_description":"Invalid refresh token"}"#
        let f = try scan(line)
        #expect(f.map(\.rule) == ["connector.box-token"])
        #expect(f.map(\.app) == ["box"])
    }
}

/// The line of a hit, found backwards eight bytes at a time: the same start as a byte-by-byte walk for every
/// position, wherever the newlines fall within or across words.
@Suite struct LineStartTests {
    @Test func eightBytesAtATimeFindsTheStartAByteWalkFinds() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let count = Int.random(in: 0...80, using: &generator)
            // Sparse to dense newlines; 0x0B, 0x8A and 0x0A ^ 0x80 sit next to a newline's bit pattern.
            let density = [0.0, 0.02, 0.2, 0.7][round % 4]
            let bytes: [UInt8] = (0..<count).map { _ in
                Double.random(in: 0..<1, using: &generator) < density ? 0x0A : [0x41, 0x0B, 0x8A, 0x09, 0xFF, 0x00].randomElement(using: &generator)!
            }
            bytes.withUnsafeBufferPointer { buf in
                guard let base = buf.baseAddress else { return }
                for index in 0..<count {
                    var walk = index - 1
                    while walk >= 0 && base[walk] != 0x0A { walk -= 1 }
                    #expect(Scanner.lineStart(base, before: index) == walk + 1, "\(bytes) at \(index)")
                }
            }
        }
    }
}

/// JIT code is made at a pattern's first match, once, whichever thread asks first; loading a rule set makes none.
@Suite struct LazyJITTests {
    @Test func manyThreadsMatchingAFreshPatternAgree() throws {
        let lines = (0..<64).map { i in Array((i % 3 == 0 ? "x AADSTS7000\(i) y" : "no code \(i)").utf8) }
        for _ in 0..<20 {
            let pattern = try PCRE2Pattern(#"AADSTS(?<code>\d{5,7})"#)
            let results = Mutex([[Bool]](repeating: [], count: 8))
            DispatchQueue.concurrentPerform(iterations: 8) { t in
                let data = PCRE2MatchData()
                let found = lines.map { line in line.withUnsafeBytes { pattern.matches($0, data) } }
                results.withLock { $0[t] = found }
            }
            let expected = lines.indices.map { $0 % 3 == 0 }
            #expect(results.withLock { $0 }.allSatisfy { $0 == expected })
        }
    }

    @Test func loadingARuleSetMakesNoJITCodeAndAScanMakesItForWhatHits() throws {
        let (catalog, cache) = try PrefilterPlanTests.fixture()
        _ = try RuleSet(catalog, cacheDirectory: cache)
        _ = try RuleSet(catalog, cacheDirectory: cache) // checks the cached database, stamps it
        let ruleSet = try RuleSet(catalog, cacheDirectory: cache)
        let all = ruleSet.rules.flatMap { $0.patterns + $0.requires + $0.excludes + $0.extract } + ruleSet.appDetectors.values.flatMap { $0 }
        #expect(all.allSatisfy { $0.jitState.load(ordering: .relaxed) == 0 })
        #expect(try scanBytes(Array("Service timeout occurred\n".utf8), ruleSet).map(\.rule) == ["connector.timeout"])
        let timeout = ruleSet.rules.first { $0.rule.id == "connector.timeout" }!.patterns[0]
        #expect(timeout.jitState.load(ordering: .relaxed) != 0)
        #expect(ruleSet.rules.first { $0.rule.id != "connector.timeout" }!.patterns.allSatisfy { $0.jitState.load(ordering: .relaxed) == 0 })
    }
}
