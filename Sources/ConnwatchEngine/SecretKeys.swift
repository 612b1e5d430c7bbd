/// What a key's value holds, judged from the key's name alone (docs/findings.md, "Redaction").
enum KeyClass: Equatable {
    /// Not a secret: identifiers, counts, types, names, endpoints, anything unknown.
    case plain
    case secret
    /// An Authorization-style value: an optional scheme word (kept) then credentials.
    case authorization
    /// A Cookie / Set-Cookie header: every cookie value is a session secret, attribute names stay.
    case cookies
    /// A session id: a bearer secret, except where it is a GUID or a Windows SID (then it is an identifier).
    case sessionID
    /// A bare `code` or `key`: secret in a URL's query (`?code=` carries OAuth authorization codes and Functions
    /// keys, `?key=` API keys), an error code or a name elsewhere (`code=403`, `<add key="…" value="…"/>`).
    case urlSecret
}

/// Key names normalised to lower-case words (case, `_`/`-`/`.`, camel humps, glued suffixes), then classified by
/// their last word and the word before it. Classification by words, not by a list of whole spellings, is what
/// makes `AZURE_CLIENT_SECRET`, `clientSecret`, `client-secret` and `ClientSecret` one key.
enum SecretKeys {
    /// Last words that name a secret outright.
    static let secretWords: Set<String> = [
        "password", "passwd", "pwd", "pw", "pass", "passphrase", "passcode", "pin", "secret", "secrets", "hmac",
        // Personal access tokens (`AZURE_DEVOPS_EXT_PAT`, `gitlab_pat`), Wi-Fi pre-shared keys, SNMP communities.
        "pat", "pats", "psk", "community",
        // A bearer token by its scheme's name (`curl --oauth2-bearer X`, `"bearer": "…"`).
        "bearer",
        "credential", "credentials", "cred", "creds", "signature", "sig", "apikey", "verifier", "assertion",
        "otp", "totp", "auth", "wresult", "samlresponse", "privatekey", "sas", "sastoken",
        // Cookie names that are session credentials (Entra ID, SharePoint, ASP.NET, Salesforce…).
        "estsauth", "estsauthpersistent", "estsauthlight", "fedauth", "rtfa", "aspxauth",
        // ServiceNow's session cookies (the `store` or `user` of their names is not an identifier here).
        "glidesessionstore", "glideuser", "glideusersession",
    ]
    /// Last words of identifiers and metadata: never secrets, whatever precedes them (`key_id`, `token_type`,
    /// `client_secret_expires_at`, `secretName`, `password_policy`). Session ids are the one exception.
    static let identifierWords: Set<String> = [
        "id", "ids", "identifier", "type", "types", "name", "names", "kind", "uri", "url", "endpoint", "path",
        "file", "location", "count", "length", "len", "size", "hint", "version", "format", "policy", "status",
        "scope", "scopes", "issuer", "audience", "expiry", "expires", "expiration", "exp", "lifetime", "ttl",
        "at", "in", "on", "time", "date", "created", "updated", "source", "provider", "mode", "method",
        "algorithm", "alg", "label", "ref", "reference", "thumbprint", "fingerprint", "error", "errors",
        "expired", "required", "enabled", "valid", "invalid", "present", "missing", "set", "used", "changed",
        "prompt", "field", "prefix", "suffix", "cache", "store", "vault", "env", "var", "variable", "returned",
        "stdin", "description", "desc", "challenge", "state", "sha", "md5", "rotation", "usage", "owner",
    ]
    /// Words that describe a representation of the value: `password_hash`, `tokenValue`, `secret_string`,
    /// `authorization_header` are classified by the word before.
    static let valueWords: Set<String> = [
        "value", "val", "string", "str", "b64", "base64", "hex", "raw", "data", "plain", "plaintext",
        "cleartext", "encoded", "text", "hash", "bytes", "content", "header",
        // Which of several: `password_confirmation`, `password_old`, `box-signature-primary`, `api_key_secondary`.
        "confirmation", "confirm", "repeat", "again", "retype", "old", "new", "current", "previous", "primary",
        "secondary",
    ]
    /// `*_token` keys that are paging cursors or counts, not credentials (`nextToken`, `$skiptoken`, `max_tokens`).
    static let plainTokenQualifiers = [
        "next", "page", "continuation", "pagination", "paging", "skip", "delta", "sync", "cancellation",
        "cancel", "change", "resume", "max", "total", "prompt", "completion", "input", "output", "num",
        "sequence", "continue", "start", "end", "marker", "stop", "eos", "bos", "pad", "unk", "special", "sep",
        "mask", "cls",
    ]
    /// `*_key` keys that name data, not credentials (`partitionKey`, `cacheKey`, `publicKey`, S3 `object_key`).
    static let plainKeyQualifiers = [
        "partition", "row", "sort", "cache", "public", "pub", "foreign", "range", "routing", "idempotency",
        "dedup", "dedupe", "deduplication", "lookup", "map", "dict", "object", "unique", "composite", "natural",
        "surrogate", "index", "group", "message", "description", "translation", "registry", "event", "ordering", "sequence",
        "shard", "entity", "resource", "field", "column", "config", "setting", "settings", "verification",
        "verifying", "bucket", "s3",
    ]
    /// In a glued word (`accountkey`, `secretaccesskey`), `key` is a secret only after one of these: a glued
    /// `monkey` or `turkey` is not.
    static let secretKeyQualifiers = [
        "access", "secret", "api", "account", "private", "master", "subscription", "encryption", "signing",
        "function", "functions", "host", "storage", "primary", "secondary", "auth", "client", "app", "sas",
        "session", "service", "license", "shared", "admin", "query", "ssh", "gpg", "pgp", "rsa",
    ]
    /// `*_code` keys that carry a one-time secret (`authorization_code`, `device_code`, `mfa_code`).
    static let secretCodeQualifiers = [
        "auth", "authorization", "device", "oauth", "otp", "mfa", "verification", "recovery", "backup", "sms",
        "totp", "access", "security", "secret", "pin", "function", "functions", "master", "host", "invite",
        "invitation", "reset", "confirmation", "activation", "login", "signin",
    ]
    /// Suffixes split off glued lower- or upper-case words (`clientsecret` → client secret), longest first.
    static let gluedSuffixes = [
        "authorization", "passphrase", "credentials", "credential", "signature", "assertion", "password",
        "verifier", "passwd",
        "secret", "cookie", "tokens", "token", "keys", "type", "name", "code", "pass", "key", "pwd", "id",
    ]
    /// Glued words ending in `pass` that are not passwords.
    static let plainPassWords: Set<String> = ["by", "com", "sur", "tres", "im", "over", "under", "out", "en", "mis"]

    struct Word {
        var text: String
        /// Split off a glued word (`monkey` → mon key), so weaker evidence than a hump or a separator.
        var glued: Bool
    }

    static func classify<C: Collection<UInt8>>(_ key: C) -> KeyClass {
        let words = words(key)
        // A cookie name is one word however it is cased: `rtFa`, `FedAuth`.
        if words.count > 1, secretWords.contains(words.map(\.text).joined()) { return .secret }
        // `_myapp_session`, `_zendesk_session`: a session cookie's name (Rails and others), not a `user_session` flag.
        if key.first == UInt8(ascii: "_"), words.count > 1, words.last?.text == "session" { return .secret }
        return classify(words)
    }

    static func classify(_ words: [Word]) -> KeyClass {
        guard let last = words.last?.text else { return .plain }
        let prev = words.count >= 2 ? words[words.count - 2] : nil
        let before = prev?.text ?? ""
        func after(_ qualifiers: [String]) -> Bool { qualifiers.contains { before.hasSuffix($0) } }
        if valueWords.contains(last), words.count >= 2 {
            let inner = classify(Array(words.dropLast()))
            return inner == .urlSecret ? .plain : inner
        }
        switch last {
        case "id", "ids", "identifier":
            return after(["session", "sess"]) ? .sessionID : .plain
        case "sid", "sessionid", "sessid":
            return .sessionID
        case _ where identifierWords.contains(last):
            return .plain
        case "authorization":
            return .authorization
        case "cookie", "cookies":
            return .cookies
        case "token", "tokens":
            return prev != nil && after(plainTokenQualifiers) ? .plain : .secret
        case "key", "keys":
            guard let prev else { return .urlSecret }
            if prev.glued || words[words.count - 1].glued { return after(secretKeyQualifiers) ? .secret : .plain }
            return after(plainKeyQualifiers) ? .plain : .secret
        case "code":
            if prev == nil { return .urlSecret }
            return after(secretCodeQualifiers) ? .secret : .plain
        case "codes":
            return prev != nil && after(secretCodeQualifiers) ? .secret : .plain // recovery_codes, backup_codes
        case "session":
            return words.count == 1 ? .secret : .plain
        case "pass":
            return prev?.glued == true && plainPassWords.contains(before) ? .plain : .secret
        case "response":
            return before == "saml" ? .secret : .plain
        case "ck":
            return before == "g" ? .secret : .plain // ServiceNow's session token (`g_ck`, sent as X-UserToken)
        default:
            return secretWords.contains(last) ? .secret : .plain
        }
    }

    /// Lower-case words of a key: split at non-alphanumerics, camel humps (`accessToken`, `SAMLResponse`) and
    /// letter/digit edges; trailing number words dropped (`password2`); a glued word split at a known suffix.
    static func words<C: Collection<UInt8>>(_ key: C) -> [Word] {
        var words: [Word] = []
        var current: [UInt8] = []
        var segmentHumped = false
        func flush() {
            guard !current.isEmpty else { return }
            let lower = current.map { $0 | (isUpper($0) ? 0x20 : 0) }
            let text = String(decoding: lower, as: UTF8.self)
            current.removeAll(keepingCapacity: true)
            // A segment without humps may be several words glued together: split one known suffix off.
            if !segmentHumped, lower.count > 3, !secretWords.contains(text) {
                for suffix in gluedSuffixes where text.count > suffix.count + 1 && text.hasSuffix(suffix) {
                    words.append(Word(text: String(text.dropLast(suffix.count)), glued: true))
                    words.append(Word(text: suffix, glued: true))
                    return
                }
            }
            words.append(Word(text: text, glued: false))
        }
        let bytes = Array(key)
        for (i, c) in bytes.enumerated() {
            guard isAlnum(c) else { flush(); segmentHumped = false; continue }
            if let p = current.last {
                let next = i + 1 < bytes.count ? bytes[i + 1] : 0
                if (isLower(p) && isUpper(c)) || (isUpper(p) && isUpper(c) && isLower(next)) {
                    segmentHumped = true
                    flush()
                } else if isDigit(p) != isDigit(c) {
                    flush()
                }
            }
            current.append(c)
        }
        flush()
        while let last = words.last, last.text.utf8.allSatisfy(isDigit) { words.removeLast() }
        return words
    }
}

@inline(__always) func isUpper(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }
@inline(__always) func isLower(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
@inline(__always) func isLetter(_ c: UInt8) -> Bool { isUpper(c) || isLower(c) }
@inline(__always) func isAlnum(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) }
