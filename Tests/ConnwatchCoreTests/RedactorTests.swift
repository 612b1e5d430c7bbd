import Foundation
import Testing
@testable import ConnwatchEngine

@Suite struct RedactorTests {
    let redactor = Redactor()
    let jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXBhcnQ"

    @Test(arguments: [
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer [REDACTED]"),
        ("authorization=Basic dXNlcjpwYXNz", "authorization=Basic [REDACTED]"),
        (#"{"Authorization":"Bearer abc"}"#, #"{"Authorization":"Bearer [REDACTED]"}"#),
        ("sending bearer 0123456789abcdef to graph", "sending bearer [REDACTED] to graph"),
        ("client_secret=s3cr3t~value&grant_type=client_credentials", "client_secret=[REDACTED]&grant_type=client_credentials"),
        (#"{"refresh_token":"0.AAAA-bbb","access_token":"xyz"}"#, #"{"refresh_token":"[REDACTED]","access_token":"[REDACTED]"}"#),
        ("login user=alice password=hunter2 ok", "login user=alice password=[REDACTED] ok"),
        (#"{"password": "p@ss word"}"#, #"{"password": "[REDACTED]"}"#),
        ("https://svc:Pa55w0rd@example.com/x", "https://svc:[REDACTED]@example.com/x"),
        ("AADSTS50126: Error validating credentials due to invalid username or password.", "AADSTS50126: Error validating credentials due to invalid username or password."),
    ])
    func redacts(input: String, expected: String) {
        #expect(redactor.redact(input) == expected)
    }

    @Test func jwtAnywhere() {
        let out = redactor.redact("token in url ?id_tok=\(jwt)&x=1 and " + jwt)
        #expect(!out.contains("eyJhbGci"))
        #expect(out == "token in url ?id_tok=[REDACTED]&x=1 and [REDACTED]")
    }

    /// A line's escaped delimiters are read decoded, and what that reading masks is masked in the line as written:
    /// whole escapes, nothing around them.
    @Test(arguments: [
        (#"{\u0022password\u0022:\u0022hunter2-Xyz\u0022}"#, #"{\u0022password\u0022:\u0022[REDACTED]\u0022}"#),
        ("payload=%7B%22token%22%3A%22abc%2Fdef123%22%7D", "payload=%7B%22token%22%3A%22[REDACTED]%22%7D"),
        ("{&quot;client_secret&quot;:&quot;s3cr3t-Value&quot;}", "{&quot;client_secret&quot;:&quot;[REDACTED]&quot;}"),
        ("header Authorization%3A%20Bearer%20opaque0123456789 sent", "header Authorization%3A%20Bearer%20[REDACTED] sent"),
        // an escaped backslash starts no escape; an escaped letter changes no structure
        (#"path C:\\u0022x\\u0022 and %41%42 stay"#, #"path C:\\u0022x\\u0022 and %41%42 stay"#),
    ])
    func escapedDelimitersAreReadDecoded(input: String, expected: String) {
        #expect(redactor.redact(input) == expected)
        #expect(redactor.redact(expected) == expected)
    }

    @Test func decodedOffsetsPointIntoTheLine() {
        let line = Array(#"a\u0022b%3Dc&quot;d\ne"#.utf8)
        let decoded = line.withUnsafeBufferPointer { DecodedDelimiters($0.baseAddress!, $0.count) }
        #expect(decoded.map { String(decoding: $0.bytes, as: UTF8.self) } == "a\"b=c\"d\ne")
        #expect(decoded?.origin == [0, 1, 7, 8, 11, 12, 18, 19, 21, 22])
        let plain = Array("no escapes %zz &nbsp; \\q here".utf8)
        #expect(plain.withUnsafeBufferPointer { DecodedDelimiters($0.baseAddress!, $0.count) } == nil)
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

/// A hostile line must not make redaction quadratic: each form repeated to 16 KiB and to 64 KiB; linear work grows
/// 4× (a little more once the line leaves the CPU's cache), quadratic 16×. Debug builds on a loaded machine are
/// slow, so only a line that is both slow in absolute terms (a quadratic form took minutes) and super-linear fails.
@Suite struct RedactorLimitsTests {
    static let units = [
        "eyJ-", "eyJaaaaaaaaaaaa.", "password=\"", "password=", "a=", "=", ":", "Bearer ", "Bearer realm=x, ",
        "Authorization: ", "Authorization: Bearer ", "-----BEGIN PRIVATE KEY-----", "-----BEGIN ", "<password>",
        "<a ", "https://u:", "://", "aQ~", "a8Q~", "00D", "00Daaaaaaaaaaaa!", "{", "[", "password={", "password=[",
        "\\\"", "\\\\\\\"", "\"password\":\\\"", "Cookie: a=b; ", "Set-Cookie: a=b;", "-p ", " --password ",
        "ConvertTo-SecureString ", "x\"", "0.A", "M.R3_", "Ew", "AQAB", "ya29.", "xoxb-", "ghp_", "sid=S-1-",
        "name=\"password\" value=", "key=", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=",
        "Zm9vYmFy+/", "\\", "'", "<sessionId>x", "--user a:", "?code=", "&sig=",
        "secret '", "secret \"a", "token a1b2c3d4e5 ", "client secret ", "https://hooks.slack.com/services/",
        "https://discord.com/a", "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyMTIzNDU2Nzg5MA==",
        // escaped delimiters, read a second time decoded
        "\\u0022", "\\u0022password\\u0022:\\u0022", "%22", "%22password%22%3A%22", "&quot;", "&quot;token&quot;:&quot;",
        "\\\\u0022", "%2", "\\u00", "&#x2", "&#39;secret&#39; ", "password%3D", "Bearer%20", "\\u0022eyJaaaaaaaaaaaa.",
        "ATATT3", "IQoJb3JpZ2lu", "5Aep861", "GOCSPX-",
    ]

    static func line(_ unit: String, bytes: Int) -> [UInt8] {
        var line: [UInt8] = []
        while line.count + unit.utf8.count <= bytes { line.append(contentsOf: unit.utf8) }
        return line
    }

    /// CPU time of this thread (other processes on a shared machine do not count), best of three runs.
    static func seconds(_ line: [UInt8]) -> Double {
        let redactor = Redactor()
        return (0..<3).map { _ in
            let before = threadCPUTime()
            _ = line.withUnsafeBytes { redactor.redact($0) }
            return threadCPUTime() - before
        }.min()!
    }

    static func threadCPUTime() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    @Test(.tags(.slow), .notInFastSet, arguments: units)
    func hostileLineStaysLinear(unit: String) {
        let small = Self.seconds(Self.line(unit, bytes: 16 << 10))
        let large = Self.seconds(Self.line(unit, bytes: 64 << 10))
        #expect(large < 2 || large < 10 * max(small, 1e-4), "\(unit): 16 KiB \(small) s, 64 KiB \(large) s")
    }

    /// The corpus concatenated to 64 KiB: many real forms in one line, each still redacted.
    @Test(.tags(.slow), .notInFastSet) func longLineOfRealForms() throws {
        let cases = RedactionCase.all
        try #require(!cases.isEmpty)
        var text = ""
        var i = 0
        while text.utf8.count < 60 << 10 { text += cases[i % cases.count].input + " | "; i += 1 }
        let out = Redactor().redact(text)
        for c in cases { for s in c.secrets { #expect(!out.contains(s), "secret '\(s)' of line \(c.number) left") } }
        #expect(Self.seconds(Array(text.utf8)) < 2)
    }
}
