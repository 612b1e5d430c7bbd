import Testing
@testable import ConnwatchCore

@Suite struct RedactorTests {
    let redactor = Redactor()
    let data = PCRE2MatchData()
    let jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXBhcnQ"

    @Test(arguments: [
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer [REDACTED]"),
        ("authorization=Basic dXNlcjpwYXNz", "authorization=Basic [REDACTED]"),
        (#"{"Authorization":"Bearer abc"}"#, #"{"Authorization":"Bearer [REDACTED]"}"#),
        ("sending bearer 0123456789abcdef to graph", "sending bearer [REDACTED] to graph"),
        ("client_secret=s3cr3t~value&grant_type=client_credentials", "client_secret=[REDACTED]&grant_type=client_credentials"),
        (#"{"refresh_token":"0.AAAA-bbb","access_token":"xyz"}"#, #"{"refresh_token":"[REDACTED]","access_token":"[REDACTED]"}"#),
        ("login user=alice password=hunter2 ok", "login user=alice password=[REDACTED] ok"),
        (#"{"password": "p@ss word"}"#, #"{"password": "[REDACTED] word"}"#),
        ("https://svc:Pa55w0rd@example.com/x", "https://svc:[REDACTED]@example.com/x"),
        ("AADSTS50126: Error validating credentials due to invalid username or password.", "AADSTS50126: Error validating credentials due to invalid username or password."),
    ])
    func redacts(input: String, expected: String) {
        #expect(redactor.redact(input, data) == expected)
    }

    @Test func jwtAnywhere() {
        let out = redactor.redact("token in url ?id_tok=\(jwt)&x=1 and " + jwt, data)
        #expect(!out.contains("eyJhbGci"))
        #expect(out == "token in url ?id_tok=[REDACTED]&x=1 and [REDACTED]")
    }

    @Test func findingsCarryRedactedLinesAndFields() throws {
        let dir = try rulesDirectory(["r.yaml": ruleYAML(id: "connector.x", patterns: [#"HttpRequestFailure (?<detail>.*)"#])])
        let set = try RuleSet.load(directories: [dir])
        let findings = try scanBytes(Array("HttpRequestFailure Authorization: Bearer \(jwt)\n".utf8), set)
        #expect(findings.count == 1)
        #expect(findings[0].line == "HttpRequestFailure Authorization: Bearer [REDACTED]")
        #expect(findings[0].field("detail") == "Authorization: Bearer [REDACTED]")
    }
}
