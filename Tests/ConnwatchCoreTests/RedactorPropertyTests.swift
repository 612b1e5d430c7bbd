import Foundation
import Testing
@testable import ConnwatchEngine

/// SplitMix64: a small seeded generator, so a failing case is reproduced from its seed alone.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random secrets planted in random real forms (key spellings, separators, quoting, headers, maps, cookies,
/// command lines, URLs, connection strings, PEM, token shapes, surrounding log text) never survive redaction.
@Suite struct RedactorPropertyTests {
    static let seeds: [UInt64] = ProcessInfo.processInfo.environment["CONNWATCH_REDACTION_SEED"].flatMap { UInt64($0) }.map { [$0] }
        ?? [0x5EED_0001, 0x5EED_0002, 0x5EED_0003]

    @Test(arguments: seeds)
    func plantedSecretsNeverSurvive(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        let redactor = Redactor()
        var failures = 0
        for iteration in 0..<3000 {
            let (line, secret) = Planting.random(&rng)
            let out = redactor.redact(line)
            if out.contains(secret) {
                failures += 1
                Issue.record("seed \(seed) (CONNWATCH_REDACTION_SEED=\(seed)) iteration \(iteration): secret '\(secret)' survived in: \(line) → \(out)")
                if failures > 5 { return }
            }
        }
    }
}

enum Planting {
    static let lower = Array("abcdefghijklmnopqrstuvwxyz"), upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), digits = Array("0123456789")
    static let alnum = lower + upper + digits
    /// Bytes an unquoted value may hold (docs/findings.md: whitespace and `,;&"')]}<>` end it).
    static let bare = alnum + Array("-_.~+/=!*$%@^#:|?")
    static let b64url = alnum + Array("-_")

    static func pick<T>(_ a: [T], _ rng: inout SeededGenerator) -> T { a[Int(rng.next() % UInt64(a.count))] }

    /// A secret: an alphanumeric first byte (a leading `[`, `{`, quote or `-` is syntax), at least one digit,
    /// then bytes from `alphabet`.
    static func secret(_ alphabet: [Character], _ rng: inout SeededGenerator, length: ClosedRange<Int> = 12...40) -> String {
        let n = Int.random(in: length, using: &rng)
        var s = String(pick(alnum, &rng)) + String(pick(digits, &rng))
        while s.count < n { s.append(pick(alphabet, &rng)) }
        return s
    }

    static let keyWords: [[String]] = [
        ["client", "secret"], ["access", "token"], ["refresh", "token"], ["id", "token"], ["api", "key"], ["password"],
        ["db", "password"], ["secret", "access", "key"], ["aws", "secret", "access", "key"], ["aws", "session", "token"],
        ["azure", "client", "secret"], ["account", "key"], ["shared", "access", "key"], ["subscription", "key"],
        ["functions", "key"], ["encryption", "key"], ["private", "key"], ["auth", "token"], ["session", "token"],
        ["passphrase"], ["pwd"], ["client", "assertion"], ["sas", "token"], ["master", "key"], ["bot", "token"],
        ["signing", "secret"], ["app", "password"], ["x", "api", "key"], ["admin", "pass"], ["okta", "api", "token"],
        ["signature"], ["x", "amz", "signature"], ["code", "verifier"], ["device", "code"], ["credentials"],
    ]

    /// A secret key name in a random style: snake, kebab, camel, Pascal, upper snake, dotted, glued.
    static func keyName(_ rng: inout SeededGenerator) -> String {
        var words = pick(keyWords, &rng)
        if rng.next() % 4 == 0 { words.insert(pick(["my", "prod", "svc", "azure", "okta", "sf", "app1"], &rng), at: 0) }
        func cap(_ w: String) -> String { w.prefix(1).uppercased() + w.dropFirst() }
        switch rng.next() % 7 {
        case 0: return words.joined(separator: "_")
        case 1: return words.joined(separator: "-")
        case 2: return words[0] + words.dropFirst().map(cap).joined()
        case 3: return words.map(cap).joined()
        case 4: return words.joined(separator: "_").uppercased()
        case 5: return words.joined(separator: ".")
        default: return words.map(cap).joined(separator: "-")
        }
    }

    static let prefixes = [
        "", "2024-05-01T10:00:00.123Z ERROR [okta-sync] ", "level=error msg=\"token refresh failed\" ",
        "[Microsoft.Identity.Client] ", "ERROR o.a.c.h.HttpClient - request ", "DEBUG botocore.endpoint: ",
        "connector office365: AADSTS70008: expired; ", "{\"level\":\"error\",\"detail\":",
    ]
    static let suffixes = ["", " status=401", " trace_id=0e3b4f6a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "}", " (AADSTS50126)", ", retrying"]

    static func random(_ rng: inout SeededGenerator) -> (String, String) {
        let (body, secret) = form(&rng)
        return (pick(prefixes, &rng) + body + pick(suffixes, &rng), secret)
    }

    static func form(_ rng: inout SeededGenerator) -> (String, String) {
        let key = keyName(&rng)
        switch rng.next() % 34 {
        case 0: let s = secret(bare, &rng); return ("\(key)=\(s)", s)
        case 1: let s = secret(bare, &rng); return ("\(key): \(s)", s)
        case 2: let s = secret(bare, &rng); return ("\(key) = \(s)", s)
        case 3: let s = secret(quotable("\""), &rng); return ("{\"\(key)\":\"\(s)\"}", s)
        case 4: let s = secret(quotable("\""), &rng); return ("\"\(key)\": \"\(s)\"", s)
        case 5: let s = secret(quotable("'"), &rng); return ("{'\(key)': '\(s)'}", s)
        case 6: let s = secret(quotable("\""), &rng); return ("{\\\"\(key)\\\":\\\"\(s)\\\"}", s)
        case 7: let s = secret(quotable("\""), &rng); return ("\(key)=\"\(s)\"", s)
        case 8: let s = secret(quotable("<"), &rng); return ("<\(key)>\(s)</\(key)>", s)
        case 9: let s = secret(bare.filter { $0 != "=" }, &rng); return ("app --\(key.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "_", with: "-")) \(s) --verbose", s)
        case 10: let s = secret(bare, &rng); return ("app --\(key)=\(s)", s)
        case 11: let s = secret(quotable("\""), &rng); return (":\(key) => \"\(s)\"", s)
        case 12: let s = secret(bare.filter { $0 != "]" }, &rng); return ("{\(key)=[\(s)], Accept=[*/*]}", s)
        case 13: let s = secret(bare.filter { $0 != "]" }, &rng); return ("map[\(key):[\(s)] Accept:[*/*]]", s)
        case 14: let s = secret(bare.filter { !"&#?".contains($0) }, &rng); return ("GET https://api.example.com/v1?\(key)=\(s)&page=2", s)
        case 15:
            let scheme = pick(["Bearer", "Basic", "SSWS", "Negotiate", "NTLM", "token", "Splunk", "Key"], &rng)
            let s = secret(alnum + Array("-._~+/!*$%"), &rng)
            switch rng.next() % 6 {
            case 0: return ("Authorization: \(scheme) \(s)", s)
            case 1: return ("map[Authorization:[\(scheme) \(s)] User-Agent:[go-http-client/1.1]]", s)
            case 2: return ("{Authorization=[\(scheme) \(s)], Content-Type=[application/json]}", s)
            case 3: return ("{\"Authorization\": \"\(scheme) \(s)\"}", s)
            case 4: return ("curl -H 'Authorization: \(scheme) \(s)' https://x.example.com", s)
            default: return ("headers={'Proxy-Authorization': b'\(scheme) \(s)'}", s)
            }
        case 16:
            let s = secret(alnum + Array("-._~+/!*$%"), &rng)
            return ("request failed, sent \(pick(["Bearer", "bearer", "SSWS", "Basic", "NTLM"], &rng)) \(s) to the API", s)
        case 17:
            let s = secret(alnum + Array("-._~+/=!*$%"), &rng)
            return ("Cookie: buid=abc; \(pick(["ESTSAUTH", "ESTSAUTHPERSISTENT", "sid", "JSESSIONID", "FedAuth", "session"], &rng))=\(s); fpc=xyz", s)
        case 18:
            let s = secret(alnum + Array("-._~+/=!*$%"), &rng)
            return ("Set-Cookie: \(pick(["ESTSAUTH", "sid", "x-ms-cpim-sso", "AUTH"], &rng))=\(s); path=/; secure; HttpOnly", s)
        case 19:
            // Userinfo: no '@', '/' allowed; a letter first (a number then '/' reads as a port).
            let s = String(pick(lower, &rng)) + secret(alnum + Array("-._~!$&'()*+,;=%/"), &rng)
            return ("\(pick(["postgresql", "https", "amqp", "redis", "mongodb+srv"], &rng))://svc:\(s)@db.internal:5432/prod", s)
        case 20: let s = secret(bare.filter { $0 != "-" }, &rng); return ("az login --service-principal -u 0f6d2c4e-1b2a-4c3d-9e8f-a1b2c3d4e5f6 -p \(s) --tenant contoso", s)
        case 21: let s = secret(bare, &rng); return ("curl -u admin:\(s) https://jenkins.local/api", s)
        case 22: let s = secret(quotable("'"), &rng); return ("$p = ConvertTo-SecureString '\(s)' -AsPlainText -Force", s)
        case 23: let s = secret(quotable("\""), &rng); return ("sqlcmd -S db -U sa -P \"\(s)\" -Q \"SELECT 1\"", s)
        case 24: let s = secret(bare.filter { $0 != ";" }, &rng); return ("Server=tcp:db,1433;User ID=app;\(pick(["Password", "Pwd", "AccountKey", "SharedAccessKey"], &rng))=\(s);Encrypt=True", s)
        case 25: let s = secret(quotable("}").filter { $0 != "{" }, &rng); return ("Driver={ODBC};Uid=app;Pwd={\(s)};", s)
        case 26:
            let s = secret(alnum + Array("+/"), &rng, length: 40...80)
            return ("\"private_key\": \"-----BEGIN RSA PRIVATE KEY-----\\n\(s)\\n-----END RSA PRIVATE KEY-----\\n\"", s)
        case 27:
            let s = "eyJ" + secret(b64url, &rng, length: 12...30) + "." + secret(b64url, &rng) + (rng.next() % 2 == 0 ? "." + secret(b64url, &rng) : "")
            return ("token in url ?x=1&assertion_hint=\(s)&y=2 sent", s)
        case 28:
            let s = pick(["ya29.", "xoxb-", "xoxp-", "ghp_", "ghs_", "0.A", "1.A", "github_pat_", "glpat-"], &rng) + secret(b64url, &rng, length: 30...50)
            return ("using \(s) for the request", s)
        case 29:
            let s = "00D" + secret(alnum, &rng, length: 12...12) + "!AQ" + secret(alnum + Array("._"), &rng, length: 30...60)
            return (pick(["<sessionId>\(s)</sessionId>", "Bearer \(s)", "sid=\(s)", "session \(s) expired"], &rng), s)
        case 30:
            let s = secret(alnum, &rng, length: 3...3) + "8Q~" + secret(alnum + Array("_~.-"), &rng, length: 32...34)
            return ("new secret \(s) created", s)
        case 31: let s = secret(quotable("\""), &rng); return ("{\"name\":\"\(key.uppercased())\",\"value\":\"\(s)\"}", s)
        case 32: let s = secret(bare, &rng); return ("export \(key.uppercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: ".", with: "_"))=\(s)", s)
        default:
            let s = "M.C5" + String(pick(digits, &rng)) + "_BAY.2.U." + secret(alnum + Array("-_!*$"), &rng, length: 30...60)
            return ("\"code\": \"\(s)\"", s)
        }
    }

    /// Bytes a value quoted with `quote` may hold: anything printable but the quote and the backslash.
    static func quotable(_ quote: Character) -> [Character] {
        (alnum + Array(" -_.~+/=!*$%@^#:|?,;&()[]{}<>'\"")).filter { $0 != quote && !(quote == "<" && $0 == ">") }
    }
}
