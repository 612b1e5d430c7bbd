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

    /// A key or token continued from an earlier line: masked where the line starts with it, and a run of the same
    /// length elsewhere in a line (a request id, a skip token after its key) stays.
    @Test func continuedTokensAtTheLineStart() {
        let signatureEnd = "fwpMeJf36POk6yJV_adQssw5cFakeSignatureTailAbCdEf012345"
        #expect(redactor.redact(signatureEnd + "&state=12345") == "[REDACTED]&state=12345")
        #expect(redactor.redact("  \"" + signatureEnd + "\"}") == "  \"[REDACTED]\"}")
        #expect(redactor.redact("x-goog-upload-id " + signatureEnd) == "x-goog-upload-id " + signatureEnd)
        // The last line of a PEM body, with its padding.
        #expect(redactor.redact("Zm9vYmFyQmF6MTIzNDU2Nzg5MA==") == "[REDACTED]")
        // Words and names at the start of a line are not random.
        for line in ["Http2ServerConnectionHandlerBuilder0123456789ABCDEF started", "AuthenticationResultSupplierForTestsOnly0123",
                     "2024-05-01T10:00:00Z app[1]: started", "0f6d2c4e-1b2a-4c3d-9e8f-a1b2c3d4e5f6 done"] {
            #expect(redactor.redact(line) == line)
        }
    }

    /// A line cut inside a token of a known shape (max_line_bytes, a logger's or journald's limit) still shows its
    /// start: masked from 12 bytes on, and only at the line's end (elsewhere the shape's whole length is needed).
    @Test(arguments: [
        ("pushed with ghp_wWPw5k4aXcaT4fNP", "pushed with [REDACTED]"),
        ("new client secret abc8Q~FakeSecretFor", "new client secret [REDACTED]"),
        ("sent abc8Q~FakeSecretFor", "sent [REDACTED]"),
        ("google maps AIzaSyFakeGoog", "google maps [REDACTED]"),
        ("id_token sent: eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9", "id_token sent: [REDACTED]"),
        ("pushed with ghp_wWPw5k4aXcaT4fNP to origin", "pushed with ghp_wWPw5k4aXcaT4fNP to origin"),
        ("google maps AIzaSy", "google maps AIzaSy"),
    ])
    func tokensCutAtTheLineEnd(input: String, expected: String) {
        #expect(redactor.redact(input) == expected)
        #expect(redactor.redact(expected) == expected)
    }

    /// The shapes of random keys: each of the 52-byte Azure keys and the older Azure DevOps PAT is masked only at
    /// its exact length and alphabet.
    @Test func keyShapesNeedTheirExactLength() {
        let search = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFAzSeAabcde"
        #expect(redactor.redact("key \(search) x") == "key [REDACTED] x")
        #expect(redactor.redact("key \(search)f x") == "key \(search)f x")
        let pat = "mqkhz3vjoz6jvhsqoxu3gjq2q6kxb4s2dfx7lwg2wtvb6pcxrbgq"
        #expect(redactor.redact("pat: \(pat)") == "pat: [REDACTED]")
        #expect(redactor.redact("id \(pat) x") == "id [REDACTED] x")
        #expect(redactor.redact("id \(pat)1 x") == "id \(pat)1 x") // 1 is not base32
        let letters = String(repeating: "abcdefghijklmnopqrstuvwxyz", count: 2)
        #expect(redactor.redact("id \(letters) x") == "id \(letters) x") // base32 with no digit is a word
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
        // long tags, lines split inside keys and tokens, shapes without names, form bodies, glued flags
        "<wsse:BinarySecurityToken EncodingType=\"x\" ", "a>", "x=\"y\">", " code=", "\"code=x&a=", "Ab1", "Ab1+", "Ab1.",
        "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG.", "AKIAIOSFODNN7EXAMPLE,", "AKIAIOSFODNN7EXAMPLE:wJalr",
        "%2526", "%25", "%253D", "API key 1", "PRIVATE KEY ", " -pX", "mysql -pX ", "dapi0", "oy2", "glrt-", "gl", "CfDJ8",
        "TlRMTVNTUA", "4/0A", "_x_session=", "g_ck=", "pw=", "mqkhz3vjoz6jvhsq", "+ACR", "AzSe",
        // names whose value is on the next line, command lines read by their arguments, identifiers' long ids
        "password:\n", "password: |\n  ", "token: >-\n    a\n", "- name: DB_PASSWORD\n", "\"client_secret\":\n",
        "Key : Authorization\n", "Authorization: Bearer\n ", "net use ", "net user a ", "sqlplus ", "sqlplus a/b",
        "conn a/", "snmpwalk -c ", "htpasswd -b ", "smbclient -U a%", "7z -p", "x-amz-id-2: ", "userid=a/",
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
