/// Removes credentials from a line before it leaves connwatch: tokens, secrets, passwords, Authorization
/// headers. Runs only on matched lines (rare), so clarity beats speed here.
public final class Redactor: @unchecked Sendable {
    public static let mask = "[REDACTED]"

    /// Each pattern's group 1 (when present) is kept; the rest of the match is replaced by the mask.
    static let patterns: [String] = [
        // Authorization / Proxy-Authorization headers, with or without a scheme.
        #"(?i)(\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|negotiate|ntlm|digest|sharedkey|pop)\s+)?)[^\s"',;]+"#,
        // Bearer tokens anywhere.
        #"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*"#,
        // JWTs (header.payload.signature) anywhere, e.g. inside a URL or a JSON value.
        #"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"#,
        // key=value, key: value and "key":"value" for secret-bearing keys.
        #"(?i)(["']?\b(?:access_token|refresh_token|id_token|token|client_secret|client_assertion|assertion|password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|x-api-key|sig|samlresponse|code_verifier)\b["']?\s*[:=]\s*["']?)[^\s"'&,;})\]]+"#,
        // user:password@ in URLs.
        #"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)"#,
    ]

    let compiled: [PCRE2Pattern]

    public init() {
        // These are fixed, tested patterns: failing to compile them is a programming error.
        compiled = Self.patterns.map { try! PCRE2Pattern($0) }
    }

    public func redact(_ bytes: UnsafeRawBufferPointer, _ data: PCRE2MatchData) -> [UInt8] {
        var current = Array(bytes)
        for pattern in compiled {
            current = current.withUnsafeBytes { apply(pattern, to: $0, data) } ?? current
        }
        return current
    }

    public func redact(_ text: String, _ data: PCRE2MatchData) -> String {
        var bytes = Array(text.utf8)
        bytes = bytes.withUnsafeBytes { redact($0, data) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// nil when nothing was replaced.
    func apply(_ pattern: PCRE2Pattern, to subject: UnsafeRawBufferPointer, _ data: PCRE2MatchData) -> [UInt8]? {
        var out: [UInt8] = []
        var copied = 0, position = 0
        var changed = false
        while position <= subject.count, let m = pattern.match(subject, from: position, data) {
            let whole = m.range
            let keep = m.range(1).map { $0.upperBound } ?? whole.lowerBound
            if whole.upperBound > keep {
                out.append(contentsOf: subject[copied..<keep])
                out.append(contentsOf: Self.mask.utf8)
                copied = whole.upperBound
                changed = true
            }
            position = max(whole.upperBound, whole.lowerBound + 1)
        }
        guard changed else { return nil }
        out.append(contentsOf: subject[copied...])
        return out
    }
}
