/// Byte classes the scan works with, one bit each (a 256-entry table: no per-byte branching on ranges).
struct ByteClass: OptionSet {
    let rawValue: UInt16
    /// Key names: alphanumerics and `_ . - $ @`.
    static let key = ByteClass(rawValue: 1 << 0)
    /// base64url: alphanumerics and `_ -`.
    static let b64url = ByteClass(rawValue: 1 << 1)
    /// JWT (base64url segments and dots).
    static let jwt = ByteClass(rawValue: 1 << 2)
    /// A credential after an authorization scheme (RFC 7235 token68 and what real tokens add: `! * $ %`).
    static let credential = ByteClass(rawValue: 1 << 3)
    /// Standard base64 without padding.
    static let b64 = ByteClass(rawValue: 1 << 4)
    /// Microsoft refresh tokens and authorization codes (`0.A…`, `M.R3_BAY.…`).
    static let msToken = ByteClass(rawValue: 1 << 5)
    /// Entra ID client secrets (`…8Q~…`).
    static let entraSecret = ByteClass(rawValue: 1 << 6)
    static let alnum = ByteClass(rawValue: 1 << 7)
    /// Salesforce session ids after the `!`.
    static let salesforce = ByteClass(rawValue: 1 << 8)
    /// MSA access tokens (`EwB…`: standard base64 plus url-safe characters and padding).
    static let msa = ByteClass(rawValue: 1 << 9)
    static let space = ByteClass(rawValue: 1 << 10)
    /// Ends an unquoted value.
    static let stop = ByteClass(rawValue: 1 << 11)
    static let quote = ByteClass(rawValue: 1 << 12)
    /// Ends an unquoted auth-param value (SigV4's `SignedHeaders=host;x-amz-date` holds `;`).
    static let paramStop = ByteClass(rawValue: 1 << 13)

    /// Read through a pointer: an array's checks on every byte were most of the scan's cost in debug builds.
    nonisolated(unsafe) static let pointer: UnsafePointer<UInt16> = {
        let p = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        p.initialize(from: table, count: 256)
        return UnsafePointer(p)
    }()

    static let table: [UInt16] = (0..<256).map { i -> UInt16 in
        let c = UInt8(i)
        func any(_ s: String) -> Bool { s.utf8.contains(c) }
        var set: ByteClass = []
        let an = isAlnum(c)
        if an { set.insert(.alnum) }
        if an || any("_.-$@") { set.insert(.key) }
        if an || any("_-") { set.insert(.b64url) }
        if an || any("_-.") { set.insert(.jwt) }
        if an || any("-._~+/=!*$%") { set.insert(.credential) }
        if an || any("+/") { set.insert(.b64) }
        if an || any("_.*!$-") { set.insert(.msToken) }
        if an || any("_~.-") { set.insert(.entraSecret) }
        if an || any("._") { set.insert(.salesforce) }
        if an || any("+/=_-") { set.insert(.msa) }
        if any(" \t\r\n\u{0B}\u{0C}") { set.insert(.space) }
        if any(" \t\r\n\u{0B}\u{0C}\"',;&)]}<>") || c == 0 { set.insert(.stop) }
        if any("\"'") { set.insert(.quote) }
        if any(" \t\r\n\u{0B}\u{0C}\"',&)]}<>") || c == 0 { set.insert(.paramStop) }
        return set.rawValue
    }
}

/// One redaction pass over one line. Collects mask spans; never copies the line.
struct RedactionScan {
    let b: UnsafePointer<UInt8>
    let n: Int
    var spans: [Range<Int>] = []
    /// Per byte class, the last run measured (start, end): a later start inside it ends at the same place, so no
    /// run is measured twice (what keeps repeated token prefixes inside one long run linear).
    var runStart = [Int](repeating: -1, count: 16)
    var runEnd = [Int](repeating: -1, count: 16)
    /// After `name="DB_PASSWORD"` or `key="ClientSecret"`, up to here a `value=` is that secret's value.
    var pairedValueBefore = -1
    /// Per `Command`, where the line first names it (`n`: nowhere; -1: not searched yet). Empty (no allocation)
    /// until a flag asks.
    var commandNamedAt: [Int] = []

    let table = ByteClass.pointer
    var lastKey: (key: [UInt8], cls: KeyClass)?
    /// A secret's name ended its line without a value: the value is what starts the next line (docs/findings.md,
    /// "Redaction", "A name and its value on separate lines").
    var pending: Pending?
    /// Where the line being redacted starts (0, or after the line before it that `Redactor` reads with it): a line
    /// that starts inside a key or token is looked for there only.
    var redactedLineStart = 0

    enum Pending {
        /// `password:`, `"client_secret":`, `Authorization:` at the line's end: the next line's first value, when
        /// that line is indented deeper than the name's (YAML, pretty-printed JSON, a folded header; a line at the
        /// name's depth is the next record: `Executing with tokens:` then the next log line).
        case value(KeyClass, indent: Int)
        /// `password: |` (a YAML block scalar): every next line indented deeper than the key's line.
        case block(indent: Int)
    }

    init(_ b: UnsafePointer<UInt8>, _ n: Int) {
        self.b = b
        self.n = n
    }

    @inline(__always) func has(_ i: Int, _ set: ByteClass) -> Bool {
        i < n && table[Int(b[i])] & set.rawValue != 0
    }

    @inline(__always) func byte(_ i: Int) -> UInt8 { i < n && i >= 0 ? b[i] : 0 }

    /// End of the run of `set` bytes starting at `from`.
    @inline(__always) mutating func end(of set: ByteClass, from: Int) -> Int {
        let k = set.rawValue.trailingZeroBitCount
        if from >= runStart[k] && from < runEnd[k] { return runEnd[k] }
        var i = from
        while has(i, set) { i += 1 }
        runStart[k] = from
        runEnd[k] = i
        return i
    }

    @inline(__always) func matches(_ i: Int, _ literal: StaticString, caseless: Bool = false) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= n else { return false }
        let p = literal.utf8Start
        for k in 0..<count {
            var c = b[i + k]
            if caseless && isUpper(c) { c |= 0x20 }
            if c != p[k] { return false }
        }
        return true
    }

    /// `r` spells `literal` (lower case), ignoring case.
    func equals(_ r: Range<Int>, _ literal: StaticString) -> Bool {
        r.count == literal.utf8CodeUnitCount && matches(r.lowerBound, literal, caseless: true)
    }

    func isKnownScheme(_ r: Range<Int>) -> Bool {
        guard r.count >= 3 && r.count <= 21 else { return false }
        return Self.schemes.contains { equals(r, $0) }
    }

    func skipSpaces(_ i: Int, limit: Int, max: Int = 16) -> Int {
        var i = i
        var k = 0
        while i < limit && k < max && has(i, .space) { i += 1; k += 1 }
        return i
    }

    /// Spaces and tabs, not a line's end.
    func skipBlanks(_ i: Int, max: Int = 64) -> Int {
        var k = i
        while k < n && k - i < max && (b[k] == UInt8(ascii: " ") || b[k] == UInt8(ascii: "\t")) { k += 1 }
        return k
    }

    /// `i` is at the end of a line (of the buffer, or of a line inside it: a multi-line event, a line with the
    /// one before it).
    func endsLine(_ i: Int) -> Bool {
        i >= n || b[i] == UInt8(ascii: "\n") || b[i] == UInt8(ascii: "\r") && (i + 1 == n || b[i + 1] == UInt8(ascii: "\n"))
    }

    /// The indentation of the line holding `p` (looked for at most 256 bytes back).
    func indent(before p: Int) -> Int {
        var s = p
        while s > 0 && p - s < 256 && b[s - 1] != UInt8(ascii: "\n") { s -= 1 }
        return skipBlanks(s, max: 256) - s
    }

    /// What every line start is looked at for: the value a secret's name on the line before left open
    /// (`pending`); at the text's start, a line that starts inside a key or token (`lineStartBlob`). Inside a text
    /// the line before is there to read: a certificate's body lines there stay as they did.
    mutating func lineStarted(at p: Int) -> Int? {
        if pending != nil, let e = pendingValue(at: p) { return e }
        return p == redactedLineStart ? lineStartBlob(at: p) : nil
    }

    /// The value `pending` left to the line starting at `p`, masked; nil when that line does not hold it.
    mutating func pendingValue(at p: Int) -> Int? {
        guard let open = pending else { return nil }
        pending = nil
        let v = skipBlanks(p)
        guard !endsLine(v) else { return nil }
        switch open {
        case .block(let indent):
            guard v - p > indent else { return nil }
            var e = v
            while e < n && b[e] != UInt8(ascii: "\n") { e += 1 }
            var end = e
            if end > v && b[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            maskValue(v..<end, .secret)
            pending = .block(indent: indent)
            return e
        case .value(let cls, let indent):
            guard v - p > indent else { return nil }
            var v = v
            // A YAML list under the name: `tokens:` then `  - abc123` (its item), or `  - name: x` (a key).
            if b[v] == UInt8(ascii: "-") && byte(v + 1) == UInt8(ascii: " ") {
                v = skipBlanks(v + 1)
                guard !endsLine(v) else { return nil }
            }
            // The next line is another key (`password:` left empty, then `user: bob`), or YAML's list of them.
            if isKeyStart(v) { return nil }
            if cls != .authorization && isProseOrStructure(v) { return nil }
            if cls == .authorization { return authorizationValue(at: v) }
            if cls == .cookies { return cookieValue(at: v) }
            return secretValue(at: v, cls)
        }
    }

    /// `name:` or `name=` or `"name":` starts at `v`: a key, not a value.
    func isKeyStart(_ v: Int) -> Bool {
        var e = v
        if has(e, .quote) { e += 1 }
        let s = e
        while e < n && e - s < 128 && has(e, .key) { e += 1 }
        guard e > s else { return false }
        if has(e, .quote) { e += 1 }
        e = skipBlanks(e, max: 8)
        let c = byte(e)
        return c == UInt8(ascii: "=") || c == UInt8(ascii: ":") && (endsLine(e + 1) || byte(e + 1) == UInt8(ascii: " "))
    }

    /// An earlier redaction's mask: left as it is, so redacting twice changes nothing.
    func isMask(at p: Int) -> Bool { matches(p, "[REDACTED]") }

    mutating func add(_ r: Range<Int>) {
        if !r.isEmpty { spans.append(r) }
    }

    /// Masks `r` unless the value is evidently not a secret (see `keeps`). True when masked.
    @discardableResult
    mutating func maskValue(_ r: Range<Int>, _ cls: KeyClass) -> Bool {
        guard !r.isEmpty, !keeps(r, cls) else { return false }
        add(r)
        return true
    }

    func finished() -> [Range<Int>] {
        let sorted = spans.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for r in sorted {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return merged
    }

    // MARK: the pass

    mutating func run() {
        var i = lineStarted(at: 0) ?? 0
        while i < n {
            let c = b[i]
            var next: Int?
            if isAlnum(c) {
                if i == 0 || !isAlnum(b[i - 1]) { next = wordStart(i) }
            } else {
                switch c {
                case UInt8(ascii: "="):
                    next = keyValue(separator: i)
                case UInt8(ascii: ":"):
                    if byte(i + 1) == UInt8(ascii: "/") && byte(i + 2) == UInt8(ascii: "/") {
                        next = userinfo(i) ?? webhookSecret(i) ?? i + 3
                    } else {
                        next = keyValue(separator: i)
                    }
                case UInt8(ascii: ">"):
                    next = xmlElement(closing: i)
                case UInt8(ascii: "-"):
                    next = pemBlock(i) ?? flag(i)
                case UInt8(ascii: "~"):
                    next = entraSecret(tilde: i)
                case UInt8(ascii: " "):
                    next = freeTextSecret(space: i)
                case UInt8(ascii: "\n"):
                    next = lineStarted(at: i + 1)
                default:
                    break
                }
            }
            i = max(next ?? i + 1, i + 1)
        }
    }

    // MARK: free text

    /// `secret <value>`, `client secret <value>`, `aws configure set aws_secret_access_key <value>`: after a word
    /// that names a secret, one space, then a value shaped like a credential (8+ credential bytes holding a digit
    /// or a symbol, not a URL, not `name=value`). Prose after the word (`secret expired`, `token is missing`,
    /// `client secret ID`) stays.
    mutating func freeTextSecret(space s: Int) -> Int? {
        guard s > 0, has(s - 1, .key), byte(s + 1) != UInt8(ascii: " ") else { return nil }
        var keyStart = s
        while keyStart > 0 && s - keyStart < 64 && has(keyStart - 1, .key) { keyStart -= 1 }
        guard keyStart == 0 || !has(keyStart - 1, .key) else { return nil }
        let key = keyStart..<s
        // A value just masked (`-p Hx~8…-secret`) is not a key. Only the last span: the scan adds them in line
        // order, and a line of thousands of masks must not be searched at every space.
        guard !(spans.last?.overlaps(key) ?? false), mayBeSecret(key) else { return nil }
        switch classify(key) {
        case .secret: break
        // A bare `key` or `code` names a secret after a word that says which (`API key …`, `auth code …`), and
        // then its value holds a digit (`PRIVATE KEY BLOCK-----` is a PGP armor line).
        case .urlSecret:
            guard qualifiedBefore(keyStart) else { return nil }
            var k = s + 1
            while k < n && k - s <= 64 && !has(k, .space) && !isDigit(b[k]) { k += 1 }
            guard isDigit(byte(k)) else { return nil }
        default: return nil
        }
        let v = s + 1
        guard v < n, b[v] != UInt8(ascii: "-") else { return nil } // the next flag of a command line
        let r: Range<Int>
        let resume: Int
        if has(v, .quote), case .region(let q, let e, _) = quoted(v, escapes: 0) {
            guard !(q.contains { has($0, .space) }) else { return nil }
            (r, resume) = (q, e)
        } else {
            var e = end(of: .credential, from: v)
            if e > v && b[e - 1] == UInt8(ascii: ".") && (e == n || has(e, .space)) { e -= 1 } // a sentence's full stop
            // A URL (`token https://…`), a time (`12:00`), an address or anything glued to more text is not a value.
            guard e == n || has(e, .stop) || b[e] == UInt8(ascii: ".") else { return nil }
            (r, resume) = (v..<e, e)
        }
        var core = r
        while core.count > 1 && b[core.upperBound - 1] == UInt8(ascii: "=") { core = core.dropLast() } // base64 padding
        // `isPlainWord(core)`: `Token EncodingType="…"` is an attribute's name, not base64 with its padding.
        guard r.count >= 8, !isPlainWord(core), !core.contains(where: { b[$0] == UInt8(ascii: "=") }),
              r.count >= 20 || r.contains(where: { !isLower(b[$0]) && !isUpper(b[$0]) })
        else { return nil }
        return maskValue(r, .secret) ? resume : nil
    }

    /// The word before `keyStart` (one space between) is one that makes a bare `key` or `code` a secret's name.
    func qualifiedBefore(_ keyStart: Int) -> Bool {
        guard keyStart >= 2, b[keyStart - 1] == UInt8(ascii: " ") else { return false }
        var w = keyStart - 1
        while w > 0 && keyStart - 1 - w < 16 && isLetter(b[w - 1]) { w -= 1 }
        guard w < keyStart - 1, w == 0 || !isAlnum(b[w - 1]) else { return false }
        let word = lowercased(w..<keyStart - 1)
        return SecretKeys.secretKeyQualifiers.contains(word) || SecretKeys.secretCodeQualifiers.contains(word)
    }

    // MARK: key = value

    /// `key=value`, `key: value`, `"key":"value"`, `\"key\":\"value\"`, `key => value`, `key := value`.
    mutating func keyValue(separator s: Int) -> Int? {
        var v = s + 1
        if b[s] == UInt8(ascii: "=") {
            if byte(s - 1) == UInt8(ascii: "=") { return nil } // base64 padding
            if byte(v) == UInt8(ascii: ">") { v += 1 }
        } else {
            if byte(v) == UInt8(ascii: ":") || byte(s - 1) == UInt8(ascii: ":") { return nil }
            if byte(v) == UInt8(ascii: "=") { v += 1 }
        }
        // The key, looking back a bounded distance: spaces, a closing quote (maybe escaped), the name.
        var j = s - 1
        var k = 0
        while j >= 0 && k < 4 && has(j, .space) { j -= 1; k += 1 }
        if j >= 0 && has(j, .quote) {
            j -= 1
            k = 0
            while j >= 0 && k < 8 && b[j] == UInt8(ascii: "\\") { j -= 1; k += 1 }
        }
        let keyEnd = j + 1
        var keyStart = keyEnd
        while keyStart > 0 && keyEnd - keyStart < 128 && has(keyStart - 1, .key) { keyStart -= 1 }
        guard keyStart < keyEnd else { return nil }
        let key = keyStart..<keyEnd
        let cls = mayBeSecret(key) ? classify(key) : .plain
        v = skipBlanks(v)
        if endsLine(v) {
            // The value is on the next line (a YAML or pretty-printed JSON value, a folded header).
            if cls != .plain && cls != .urlSecret { pending = .value(cls, indent: indent(before: keyStart)) }
            return nil
        }
        switch cls {
        case .plain:
            if equals(key, "value") || equals(key, "val"), s < pairedValueBefore {
                pairedValueBefore = -1
                return secretValue(at: v, .secret)
            }
            if equals(key, "name") { pairSecretName(at: v) }
            // sqlldr/exp `userid=scott/tiger@orcl`; FreeRDP's `/p:S3cret`.
            if equals(key, "userid") { return oracleLogin(at: v) }
            if key.count == 1 && b[keyStart] == UInt8(ascii: "p") && byte(keyStart - 1) == UInt8(ascii: "/")
                && isCommand(.freerdp, before: s) {
                return secretValue(at: v, .secret)
            }
            return nil
        case .urlSecret:
            // Only in a URL's query or fragment; `code=403` or `"code": "…"` elsewhere is a status.
            guard keyStart > 0 && "?&#".utf8.contains(b[keyStart - 1]) || b[s] == UInt8(ascii: "=") && startsFormBody(key, value: v)
            else {
                if equals(key, "key") { pairSecretName(at: v) }
                return nil
            }
            return secretValue(at: v, .urlSecret)
        case .secret, .sessionID:
            if b[s] == UInt8(ascii: ":") && isProseOrStructure(v) { return nil }
            return secretValue(at: v, cls)
        case .authorization:
            return authorizationValue(at: v)
        case .cookies:
            return cookieValue(at: v)
        }
    }

    /// `code=…&grant_type=…` at the start of a line or a word: the first pair of a form body (an OAuth token
    /// request), whose query the `?` does not mark. The value is read at most 1 KiB far, so a line of `code=code=…`
    /// stays linear.
    func startsFormBody(_ key: Range<Int>, value v: Int) -> Bool {
        guard key.lowerBound == 0 || has(key.lowerBound - 1, .space) || has(key.lowerBound - 1, .quote) else { return false }
        var e = v
        while e < n && e - v < 1024 && !has(e, .stop) { e += 1 }
        guard e > v, byte(e) == UInt8(ascii: "&") else { return false }
        var k = e + 1
        while k < n && k - e < 64 && (isAlnum(b[k]) || b[k] == UInt8(ascii: "_")) { k += 1 }
        return k > e + 1 && byte(k) == UInt8(ascii: "=")
    }

    /// Every key `SecretKeys.classify` can find secret holds one of these (in lower case, separators dropped);
    /// most keys on a line (`time`, `level`, `https`, `10` of `10:00`) hold none and skip the classification.
    static let secretStems: [[UInt8]] = [
        "pass", "pw", "pin", "secret", "cred", "sig", "verifier", "assertion", "otp", "auth", "wresult", "saml",
        "sas", "rtfa", "token", "key", "cookie", "sid", "sess", "code", "hmac", "pat", "glide", "gck", "psk", "community",
        "bearer",
    ].map { Array($0.utf8) }

    /// `SecretKeys.classify`, remembering the last key: a line repeating one key thousands of times (hostile or
    /// a dump) classifies it once.
    mutating func classify(_ key: Range<Int>) -> KeyClass {
        let bytes = UnsafeBufferPointer(start: b + key.lowerBound, count: key.count)
        if let last = lastKey, last.key.elementsEqual(bytes) { return last.cls }
        let cls = SecretKeys.classify(bytes)
        lastKey = (Array(bytes), cls)
        return cls
    }

    func mayBeSecret(_ key: Range<Int>) -> Bool {
        // The key's alphanumerics in lower case, then eight zero bytes; each position is read as one little-endian
        // word and compared, masked, with the stems that begin with its byte (every key of every redacted line
        // comes here: no allocation, no array, one load per position).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: key.count + 8) { k in
            var count = 0
            for i in key where isAlnum(b[i]) {
                k[count] = isUpper(b[i]) ? b[i] | 0x20 : b[i]
                count += 1
            }
            guard count >= 2 else { return false }
            for z in count..<count + 8 { k[z] = 0 }
            let raw = UnsafeRawPointer(k.baseAddress!)
            let stems = Self.stemTable
            for start in 0..<count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: UInt64.self))
                let first = Int(k[start])
                for s in Int(stems.start[first])..<Int(stems.start[first + 1]) where word & stems.mask[s] == stems.value[s] {
                    return true
                }
            }
            return false
        }
    }

    /// `secretStems` as little-endian words (at most 8 bytes: a longer stem is tried by its first 8, which only
    /// lets a few more keys on to the classification) with the mask of their length, grouped by first byte:
    /// stem `s` of first byte `c` for `s` in `start[c]..<start[c + 1]`. Read through pointers, as `ByteClass`.
    struct StemTable: @unchecked Sendable {
        let start: UnsafePointer<UInt16>
        let value: UnsafePointer<UInt64>
        let mask: UnsafePointer<UInt64>
    }

    static let stemTable: StemTable = {
        let sorted = secretStems.sorted { $0[0] < $1[0] }
        let start = UnsafeMutablePointer<UInt16>.allocate(capacity: 257)
        let value = UnsafeMutablePointer<UInt64>.allocate(capacity: sorted.count)
        let mask = UnsafeMutablePointer<UInt64>.allocate(capacity: sorted.count)
        var s = 0
        for c in 0..<256 {
            start[c] = UInt16(s)
            for stem in sorted where Int(stem[0]) == c {
                let bytes = stem.prefix(8)
                value[s] = bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * $1.offset) }
                mask[s] = bytes.count == 8 ? ~0 : (1 << (8 * UInt64(bytes.count))) - 1
                s += 1
            }
        }
        start[256] = UInt16(s)
        return StemTable(start: start, value: value, mask: mask)
    }()

    /// Name/value pairs (`{"name":"DB_PASSWORD","value":"…"}`, `<add key="ClientSecret" value="…"/>`,
    /// `Name=AWS_SECRET_ACCESS_KEY,Value=…`): when the name is a secret's, the next `value` is its value.
    mutating func pairSecretName(at v: Int) {
        pairedValueBefore = -1
        // Only a short quoted or bare name: this value is not masked, so it must not be measured to its end.
        var e = v
        if has(v, .quote) || byte(v) == UInt8(ascii: "\\") { e += 1 }
        if byte(v) == UInt8(ascii: "\\") && has(v + 1, .quote) { e += 1 }
        let start = e
        while e < n && e - start < 64 && (has(e, .key) || b[e] == UInt8(ascii: ":")) { e += 1 }
        let r = start..<e
        guard !r.isEmpty, e - start < 64 else { return }
        let end = e
        if mayBeSecret(r), classify(r) != .plain {
            pairedValueBefore = end + 96
        }
    }

    /// After `key: `, what is prose (`INVALID_SESSION_ID: Session expired or invalid`, `Token: The token has
    /// expired`) or another key's structure (`Found credentials: aws_access_key_id=…`) is not the key's value.
    func isProseOrStructure(_ v: Int) -> Bool {
        guard v > 0, has(v - 1, .space) else { return false }
        var e = v
        while e < n && e - v < 20 && (isUpper(b[e]) || isLower(b[e])) { e += 1 }
        if e > v && byte(e) == UInt8(ascii: " ") && (isUpper(byte(e + 1)) || isLower(byte(e + 1))) && isPlainWord(v..<e) {
            var w = e + 1
            if isUpper(byte(w)) { w += 1 }
            while w < n && w - e < 20 && isLower(b[w]) { w += 1 }
            if w > e + 1 && (w == n || has(w, .space) || ".,;:".utf8.contains(b[w])) { return true }
        }
        // `name=` where the name reads as a key: letters, `_` and `.`, with a `_` or `.` or in lower case.
        e = v
        while e < n && e - v < 64 && (isUpper(b[e]) || isLower(b[e]) || b[e] == UInt8(ascii: "_") || b[e] == UInt8(ascii: ".")) { e += 1 }
        guard e - v >= 3, byte(e) == UInt8(ascii: "="), e + 1 < n, byte(e + 1) != UInt8(ascii: "="), !has(e + 1, .space) else {
            return false
        }
        return (v..<e).contains { b[$0] == UInt8(ascii: "_") || b[$0] == UInt8(ascii: ".") } || (v..<e).allSatisfy { !isUpper(b[$0]) }
    }

    enum Value {
        /// The value's bytes (without quotes or brackets) and where the scan resumes.
        case region(Range<Int>, end: Int, bare: Bool)
        /// A structured value (a JSON object, a Java map): its own keys decide, so the scan goes inside.
        case structured
    }

    /// The value starting at `v`, delimited by the syntax it starts with.
    mutating func value(at v: Int, bareStops: ByteClass = .stop) -> Value {
        var p = v
        if "bBuUrR".utf8.contains(byte(p)) && has(p + 1, .quote) { p += 1 } // Python b'…' / u'…'
        if matches(p, "[]string{") && has(p + 9, .quote) { p += 9 } // Go's %#v of http.Header: []string{"…"}
        let c = byte(p)
        if has(p, .quote) { return quoted(p, escapes: 0) }
        if c == UInt8(ascii: "\\") {
            var k = 0
            while byte(p + k) == UInt8(ascii: "\\") && k < 8 { k += 1 }
            if has(p + k, .quote) { return quoted(p + k, escapes: k) }
        }
        if c == UInt8(ascii: "$") && byte(p + 1) == UInt8(ascii: "{"),
           case .region(let r, let end, _) = bracketed(p + 1, close: UInt8(ascii: "}")) {
            return .region(p..<min(r.upperBound + 1, n), end: end, bare: true) // `${VAR}`: kept by `keeps`
        }
        if c == UInt8(ascii: "[") { return bracketed(p, close: UInt8(ascii: "]")) }
        if c == UInt8(ascii: "{") {
            if isStructured(p + 1) { return .structured }
            return bracketed(p, close: UInt8(ascii: "}"))
        }
        let e = bareEnd(p, stops: bareStops)
        return .region(p..<e, end: e, bare: true)
    }

    /// A quoted value; `escapes` backslashes before the quote (a JSON string inside a JSON string) close it too.
    func quoted(_ q: Int, escapes k: Int) -> Value {
        let quote = b[q]
        var i = q + 1
        while i < n {
            let c = b[i]
            if k == 0 {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == quote { return .region(q + 1..<i, end: i + 1, bare: false) }
            } else if c == quote {
                var m = 0
                while m < k && b[i - 1 - m] == UInt8(ascii: "\\") { m += 1 }
                if m == k { return .region(q + 1..<i - k, end: i + 1, bare: false) }
            }
            i += 1
        }
        return .region(q + 1..<n, end: n, bare: false) // unterminated: the rest of the line
    }

    func bracketed(_ open: Int, close: UInt8) -> Value {
        let opening = b[open]
        var depth = 0
        var i = open
        while i < n {
            if b[i] == opening { depth += 1 } else if b[i] == close {
                depth -= 1
                if depth == 0 { return .region(open + 1..<i, end: i + 1, bare: false) }
            }
            i += 1
        }
        return .region(open + 1..<n, end: n, bare: false)
    }

    /// After `{`: a JSON object (scan inside: its own keys decide). Anything else braced under a secret's key
    /// (an ODBC `{pass;word}`, a Java `{user=…, pass=…}`) is masked whole.
    func isStructured(_ p: Int) -> Bool {
        let q = skipSpaces(p, limit: n)
        return q < n && (has(q, .quote) || "\\{}".utf8.contains(b[q]))
    }

    /// An unquoted value ends at a stop byte or at an escape sequence (`\"`, `\n`, `\u0026` in JSON text).
    func bareEnd(_ p: Int, stops: ByteClass) -> Int {
        var i = p
        while i < n && !has(i, stops) {
            if b[i] == UInt8(ascii: "\\") && "\"'nrtu\\/".utf8.contains(byte(i + 1)) { break }
            i += 1
        }
        return i
    }

    mutating func secretValue(at v: Int, _ cls: KeyClass) -> Int? {
        // `password: |` or `key: >-`: a YAML block scalar, the value on the lines below.
        if b[v] == UInt8(ascii: "|") || b[v] == UInt8(ascii: ">") {
            var e = v + 1
            while e < n && e - v < 3 && "+-123456789".utf8.contains(b[e]) { e += 1 }
            if endsLine(skipBlanks(e)) {
                pending = .block(indent: indent(before: v))
                return e
            }
        }
        switch value(at: v) {
        case .structured:
            // `"spring.datasource.password": {"value": "…", "origin": …}` (Spring's /actuator/env): the object's
            // `value` is the secret's.
            pairedValueBefore = v + 128
            return nil
        case .region(let r, let end, let bare):
            // `auth_header=Bearer xyz`: a bare scheme word is not the secret, the credentials after it are.
            if bare, byte(r.upperBound) == UInt8(ascii: " "), isKnownScheme(r) {
                return schemeCredentials(at: v, force: true)
            }
            // `$pw = ConvertTo-SecureString '…' -AsPlainText`: the secret is the command's argument.
            if bare, let e = secureString(r.lowerBound) { return e }
            maskValue(r, cls)
            return end
        }
    }

    // MARK: authorization

    static let schemes: [StaticString] = [
        "bearer", "basic", "ssws", "negotiate", "ntlm", "digest", "aws4-hmac-sha256", "sharedaccesssignature",
        "sharedkey", "sharedkeylite", "oauth", "dpop", "pop", "kerberos",
    ]
    /// Auth-params that describe a challenge or a request, not a credential (RFC 6750 errors, Digest realm,
    /// SigV4 Credential and SignedHeaders, SAS resource and expiry, HTTP Signatures keyId).
    static let plainAuthParams: Set<String> = [
        "realm", "scope", "error", "error_description", "error_uri", "authorization_uri", "trusted_issuers",
        "resource_id", "resource", "client_id", "claims", "resource_metadata", "algorithm", "qop", "nonce",
        "opaque", "uri", "username", "stale", "charset", "domain", "userhash", "credential", "signedheaders",
        "sr", "se", "skn", "sv", "sp", "st", "spr", "srt", "ss", "oauth_consumer_key", "oauth_signature_method",
        "oauth_timestamp", "oauth_nonce", "oauth_version", "oauth_callback", "max_age", "as_uri", "keyid",
        "headers", "created", "expires", "nc",
    ]

    func lowercased(_ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: b + r.lowerBound, count: r.count).map { isUpper($0) ? $0 | 0x20 : $0 },
               as: UTF8.self)
    }

    mutating func authorizationValue(at v: Int) -> Int? {
        switch value(at: v) {
        case .structured:
            return nil
        case .region(let r, let end, let bare):
            if bare { return schemeCredentials(at: v, force: true) }
            credentials(in: r)
            return end
        }
    }

    /// A scheme word: letters, digits and `-`, at most 40 bytes.
    func schemeEnd(_ p: Int, limit: Int) -> Int {
        var i = p
        while i < limit && i - p < 40 && (isAlnum(b[i]) || b[i] == UInt8(ascii: "-")) { i += 1 }
        return i
    }

    /// `Scheme credentials` inside a quoted or bracketed value: everything after the scheme is masked, except
    /// auth-params that are not secrets.
    mutating func credentials(in r: Range<Int>) {
        let w = schemeEnd(r.lowerBound, limit: r.upperBound)
        guard w > r.lowerBound, w < r.upperBound, has(w, .space),
              isSchemeWord(r.lowerBound..<w, before: skipSpaces(w, limit: r.upperBound), limit: r.upperBound) else {
            maskValue(r, .secret)
            return
        }
        let c = skipSpaces(w, limit: r.upperBound)
        guard c < r.upperBound else { return }
        if isParamStart(c, limit: r.upperBound) {
            let e = authParams(c, limit: r.upperBound)
            maskValue(skipSpaces(e, limit: r.upperBound)..<r.upperBound, .secret)
        } else {
            maskValue(c..<r.upperBound, .secret)
        }
    }

    /// A first word is a scheme when it is a known one, or a word of letters followed by something that is not
    /// a plain word (so `Authorization: token ghp_…` keeps `token`, `Authorization: abc123 x` keeps nothing).
    mutating func isSchemeWord(_ w: Range<Int>, before c: Int, limit: Int) -> Bool {
        if isKnownScheme(w) { return true }
        guard (w.lowerBound..<w.upperBound).allSatisfy({ isUpper(b[$0]) || isLower(b[$0]) || b[$0] == UInt8(ascii: "-") })
        else { return false }
        if isMask(at: c) { return true }
        let e = min(end(of: .credential, from: c), limit)
        return e > c && !isPlainWord(c..<e)
    }

    /// Unquoted `Scheme credentials` (`force`: after an Authorization key, where any scheme counts and a lone
    /// value is the credential itself). Returns where the scan resumes, nil when nothing here is a credential.
    mutating func schemeCredentials(at p: Int, force: Bool) -> Int? {
        let w = schemeEnd(p, limit: n)
        if w > p && has(w, .space) {
            let c = skipSpaces(w, limit: n)
            guard c < n else { return w }
            let known = isKnownScheme(p..<w)
            if !known && !(force && isSchemeWord(p..<w, before: c, limit: n)) {
                return force ? maskRun(at: p) : nil
            }
            if isMask(at: c) { return c + 10 }
            if isParamStart(c, limit: n) {
                // `token_type=Bearer access_token=…` is logfmt, not auth-params: the key decides, in `keyValue`.
                return isAuthParam(c) ? authParams(c, limit: n) : c
            }
            var e = end(of: .credential, from: c)
            guard e > c else { return w }
            while e > c + 1 && ".,:".utf8.contains(b[e - 1]) { e -= 1 }
            // In free text, `Bearer token` and `Basic authentication` are words, not credentials.
            if !force && isPlainWord(c..<e) { return w }
            maskValue(c..<e, .secret)
            return e
        }
        return force ? maskRun(at: p) : nil
    }

    mutating func maskRun(at p: Int) -> Int {
        let e = end(of: .credential, from: p)
        maskValue(p..<e, .secret)
        return max(e, p + 1)
    }

    /// Letters only and shorter than 20 bytes (`token`, `authentication`, `RefreshToken`), or shorter than 4:
    /// prose or a name, not a credential (real credentials hold digits or symbols, or are longer).
    func isPlainWord(_ r: Range<Int>) -> Bool {
        if r.count < 4 { return true }
        return r.count < 20 && r.allSatisfy { isUpper(b[$0]) || isLower(b[$0]) }
    }

    /// `name=value` where `name` is a known auth-param or a secret key name (`token_type=Bearer access_token=…`);
    /// inside a list already started (`inList`), any `name=value`.
    mutating func isParamStart(_ c: Int, limit: Int, inList: Bool = false) -> Bool {
        var i = c
        while i < limit && i - c < 40 && (isAlnum(b[i]) || b[i] == UInt8(ascii: "_") || b[i] == UInt8(ascii: "-")) { i += 1 }
        guard i > c, i + 1 < limit, b[i] == UInt8(ascii: "="), b[i + 1] != UInt8(ascii: "="), !has(i + 1, .space) else {
            return false
        }
        if inList { return true }
        return Self.plainAuthParams.contains(lowercased(c..<i)) || (mayBeSecret(c..<i) && classify(c..<i) != .plain)
    }

    func isAuthParam(_ c: Int) -> Bool {
        var i = c
        while i < n && i - c < 40 && (isAlnum(b[i]) || b[i] == UInt8(ascii: "_") || b[i] == UInt8(ascii: "-")) { i += 1 }
        return Self.plainAuthParams.contains(lowercased(c..<i))
    }

    /// `name=value, name="value"` (or `&`-separated): values of names not known as plain are masked.
    mutating func authParams(_ c: Int, limit: Int) -> Int {
        var p = c
        var inList = false
        while p < limit && isParamStart(p, limit: limit, inList: inList) {
            inList = true
            let nameStart = p
            while b[p] != UInt8(ascii: "=") { p += 1 }
            let plain = Self.plainAuthParams.contains(lowercased(nameStart..<p))
            p += 1
            let r: Range<Int>
            switch value(at: p, bareStops: .paramStop) {
            case .region(let range, let end, _):
                r = range.lowerBound..<min(range.upperBound, limit)
                p = min(end, limit)
            case .structured:
                r = p..<p
            }
            if !plain { maskValue(r, .secret) }
            var q = p
            var k = 0
            while q < limit && k < 8 && (has(q, .space) || b[q] == UInt8(ascii: ",") || b[q] == UInt8(ascii: "&")) { q += 1; k += 1 }
            guard q < limit, isParamStart(q, limit: limit, inList: true) else { break }
            p = q
        }
        return p
    }

    // MARK: cookies

    static let cookieAttributes: Set<String> = [
        "path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority", "partitioned",
        "version", "comment",
    ]

    mutating func cookieValue(at v: Int) -> Int? {
        switch value(at: v) {
        case .structured:
            return nil
        case .region(let r, let end, let bare):
            if bare { return cookies(v, limit: n, bounded: false) }
            _ = cookies(r.lowerBound, limit: r.upperBound, bounded: true)
            return end
        }
    }

    /// `name=value; name=value; Attribute; Attribute=value`: cookie values masked, attributes kept. Unbounded (an
    /// unquoted header), the list goes on only across `;`; bounded (quoted, bracketed), to the region's end.
    mutating func cookies(_ start: Int, limit: Int, bounded: Bool) -> Int {
        var p = start
        while p < limit {
            p = skipSpaces(p, limit: limit)
            let nameStart = p
            while p < limit && (has(p, .key) || b[p] == UInt8(ascii: "!")) { p += 1 }
            if p == nameStart {
                guard bounded else { break }
                p += 1 // a separator inside a bounded list
                continue
            }
            let name = lowercased(nameStart..<p)
            let attribute = Self.cookieAttributes.contains(name)
            if p < limit && b[p] == UInt8(ascii: "=") {
                p += 1
                if isMask(at: p) {
                    p += 10
                } else if has(p, .quote), case .region(let r, let end, _) = quoted(p, escapes: 0) {
                    if !attribute { maskValue(r.lowerBound..<min(r.upperBound, limit), .secret) }
                    p = min(end, limit)
                } else {
                    let valueStart = p
                    // `Expires=Thu, 01 Jan 2026 00:00:00 GMT` runs to the `;`.
                    while p < limit && b[p] != UInt8(ascii: ";") && (name == "expires" || !has(p, .stop)) { p += 1 }
                    if !attribute { maskValue(valueStart..<p, .secret) }
                }
            } else if !attribute && !bounded {
                return nameStart
            }
            let q = skipSpaces(p, limit: limit)
            if q < limit && b[q] == UInt8(ascii: ";") { p = q + 1; continue }
            if !bounded { return q }
            p = q
        }
        return p
    }

    // MARK: URLs, XML, command lines, PEM

    /// `scheme://user:password@host`: the password may hold `/`; `host:8080/…` is a port.
    mutating func userinfo(_ colon: Int) -> Int? {
        guard colon > 0, isUpper(b[colon - 1]) || isLower(b[colon - 1]) else { return nil }
        let u = colon + 3
        var i = u
        while i < n && i - u < 128 && !"/:@?#\"'<>[] \t".utf8.contains(b[i]) { i += 1 }
        guard byte(i) == UInt8(ascii: ":") else { return nil }
        let ps = i + 1
        i = ps
        while i < n && i - ps < 256 && b[i] != UInt8(ascii: "@") && !has(i, .space) && !"\"<>".utf8.contains(b[i]) { i += 1 }
        guard byte(i) == UInt8(ascii: "@") else { return nil }
        if let slash = (ps..<i).first(where: { b[$0] == UInt8(ascii: "/") }), slash > ps,
           (ps..<slash).allSatisfy({ isDigit(b[$0]) }) {
            return nil // a port, then a path that happens to hold '@'
        }
        add(ps..<i)
        return i + 1
    }

    /// Incoming-webhook URLs whose path is the credential: Slack (`hooks.slack.com/services/T…/B…/<secret>`),
    /// Teams and Office 365 connectors (`….webhook.office.com/webhookb2/…/IncomingWebhook/<secret>/<id>`), Discord
    /// (`discord.com/api/webhooks/<id>/<token>`). The identifiers before the secret part stay.
    mutating func webhookSecret(_ colon: Int) -> Int? {
        let h = colon + 3
        var i = h
        while i < n && i - h < 256 && !has(i, .stop) && b[i] != UInt8(ascii: "/") && b[i] != UInt8(ascii: "?") { i += 1 }
        let hostEnd = i
        guard byte(hostEnd) == UInt8(ascii: "/") else { return nil }
        func hostIs(_ name: StaticString) -> Bool {
            let c = name.utf8CodeUnitCount
            guard hostEnd - h >= c, equals(hostEnd - c..<hostEnd, name) else { return false }
            return hostEnd - h == c || b[hostEnd - c - 1] == UInt8(ascii: ".")
        }
        // Where the secret part starts: after `prefix` in the path, then `skip` more segments. Chosen once from the
        // host; the path is measured only under a webhook host (any other URL costs the scan its host at most).
        let prefix: StaticString
        let skip: Int
        if hostIs("hooks.slack.com") {
            (prefix, skip) = ("/services/", 2)
        } else if hostIs("webhook.office.com") || hostIs("outlook.office.com") || hostIs("outlook.office365.com") {
            (prefix, skip) = ("/incomingwebhook/", 0)
        } else if hostIs("discord.com") || hostIs("discordapp.com") {
            (prefix, skip) = ("/api/webhooks/", 1)
        } else {
            return nil
        }
        while i < n && !has(i, .stop) && b[i] != UInt8(ascii: "?") && b[i] != UInt8(ascii: "#") { i += 1 }
        let path = hostEnd..<i
        var secret = path.first { matches($0, prefix, caseless: true) }.map { $0 + prefix.utf8CodeUnitCount }
        for _ in 0..<skip {
            secret = secret.flatMap { s in (s..<path.upperBound).first { b[$0] == UInt8(ascii: "/") } }.map { $0 + 1 }
        }
        // Past the path either way: a line of webhook URLs without their secret part stays linear.
        if let s = secret, s < path.upperBound, !isMask(at: s) { add(s..<path.upperBound) }
        return path.upperBound
    }

    /// `<sessionId>…</sessionId>`, `<Password>…</Password>`: the element's text when its name is a secret's. The
    /// tag is found looking back to its `<` however long its attributes (a WS-Security `<wsse:BinarySecurityToken
    /// EncodingType="…" ValueType="…" wsu:Id="…">` is 300 bytes): the look stops at the previous `<` or `>`, so no
    /// byte is looked at for two tags and the cost stays linear.
    mutating func xmlElement(closing gt: Int) -> Int? {
        guard gt > 0, b[gt - 1] != UInt8(ascii: "/") else { return nil }
        var j = gt - 1
        while j >= 0 && b[j] != UInt8(ascii: "<") && b[j] != UInt8(ascii: ">") { j -= 1 }
        guard j >= 0, b[j] == UInt8(ascii: "<"), isUpper(byte(j + 1)) || isLower(byte(j + 1)) else { return nil }
        var e = j + 1
        var local = e
        while e < gt && (has(e, .key) || b[e] == UInt8(ascii: ":")) {
            if b[e] == UInt8(ascii: ":") { local = e + 1 }
            e += 1
        }
        var cls = mayBeSecret(local..<e) ? classify(local..<e) : .plain
        if cls == .plain || cls == .urlSecret { cls = namedByAttribute(e..<gt) }
        guard cls != .plain && cls != .urlSecret else { return nil }
        var k = gt + 1
        while k < n && b[k] != UInt8(ascii: "<") { k += 1 }
        switch cls {
        case .authorization: credentials(in: gt + 1..<k)
        case .cookies: _ = cookies(gt + 1, limit: k, bounded: true)
        default: maskValue(gt + 1..<k, cls)
        }
        return k
    }

    /// `<entry key="password">`, `<parameter name="Password">`: an element named by its `key` or `name` attribute
    /// (Java's XML properties, configuration dumps). Reads only inside the tag.
    mutating func namedByAttribute(_ tag: Range<Int>) -> KeyClass {
        var i = tag.lowerBound
        while i < tag.upperBound {
            let nameLength = matches(i + 1, "key=", caseless: true) ? 4 : matches(i + 1, "name=", caseless: true) ? 5 : 0
            if has(i, .space) && nameLength > 0 {
                let q = i + 1 + nameLength
                guard q < tag.upperBound, has(q, .quote),
                      let close = (q + 1..<tag.upperBound).first(where: { b[$0] == b[q] }) else { return .plain }
                return mayBeSecret(q + 1..<close) ? classify(q + 1..<close) : .plain
            }
            i += 1
        }
        return .plain
    }

    /// `--password X`, `-Password X`, `--client-secret "X"`, `-p X` (not a port), `-u user:pass` (curl).
    /// `--name=X` is left to `keyValue`.
    mutating func flag(_ i: Int) -> Int? {
        guard i == 0 || has(i - 1, .space) || has(i - 1, .quote) || b[i - 1] == UInt8(ascii: "(") else { return nil }
        var p = i + 1
        if byte(p) == UInt8(ascii: "-") { p += 1 }
        let nameStart = p
        guard isUpper(byte(p)) || isLower(byte(p)) else { return nil }
        if p == i + 1 && b[p] == UInt8(ascii: "p") && p + 1 < n && !has(p + 1, .space)
            && (isCommand(.mysql, before: i) || isCommand(.archiver, before: i)),
           case .region(let r, let end, _) = argument(p + 1) {
            maskValue(r, .secret) // `mysql -uroot -pS3cret`, `7z x -pS3cret a.7z`: the password glued to -p
            return end
        }
        while p < n && p - nameStart < 48 && (isAlnum(b[p]) || b[p] == UInt8(ascii: "-")) { p += 1 }
        guard has(p, .space) else { return nil }
        let a = skipSpaces(p, limit: n)
        guard a < n, !"-$(".utf8.contains(b[a]) else { return nil }
        if nameStart == i + 1, let e = clientFlag(i, letters: nameStart..<p, argument: a) { return e }
        let name = lowercased(nameStart..<p)
        guard case .region(let r, let end, _) = argument(a) else { return nil }
        switch name {
        case "p":
            // ssh -p 22, docker -p 8080:80/tcp are ports.
            if r.allSatisfy({ isDigit(b[$0]) || ".:/-tcpud".utf8.contains(b[$0]) }) && r.contains(where: { isDigit(b[$0]) }) {
                return nil
            }
            maskValue(r, .secret)
            return end
        case "w" where isCommand(.ldap, before: i), "a" where isCommand(.redis, before: i):
            maskValue(r, .secret) // ldapsearch -D cn=admin -w S3cret, redis-cli -a S3cret
            return end
        case "u", "user":
            guard let colon = r.first(where: { b[$0] == UInt8(ascii: ":") }), byte(colon + 1) != UInt8(ascii: "/") else {
                return nil
            }
            maskValue(colon + 1..<r.upperBound, .secret)
            return end
        default:
            switch mayBeSecret(nameStart..<p) ? classify(nameStart..<p) : .plain {
            case .plain, .urlSecret: return nil
            case .secret, .sessionID, .authorization, .cookies:
                maskValue(r, .secret)
                return end
            }
        }
    }

    /// Single-dash letter flags whose meaning is the client's (named on the line): net-snmp's `-c COMMUNITY`,
    /// `-A`/`-X` (SNMPv3 passphrases, `-a`/`-x` are protocols); Samba's `-U user%password`; `ssh-keygen -N`/`-P`;
    /// `htpasswd -b[c…] [file] user password` (`-n`: no file). Nil when the flag is not one of them.
    mutating func clientFlag(_ i: Int, letters: Range<Int>, argument a: Int) -> Int? {
        guard letters.count >= 1, letters.count <= 4, case .region(let r, let end, _) = argument(a) else { return nil }
        let letter = b[letters.lowerBound]
        if letters.count == 1 {
            switch letter {
            case UInt8(ascii: "c"), UInt8(ascii: "A"), UInt8(ascii: "X"):
                guard isCommand(.snmp, before: i) else { return nil }
                maskValue(r, .secret)
                return end
            case UInt8(ascii: "U"):
                guard isCommand(.samba, before: i), let pct = r.first(where: { b[$0] == UInt8(ascii: "%") }) else { return nil }
                maskValue(pct + 1..<r.upperBound, .secret)
                return end
            case UInt8(ascii: "N"), UInt8(ascii: "P"):
                guard isCommand(.sshKeygen, before: i) else { return nil }
                maskValue(r, .secret)
                return end
            default:
                break
            }
        }
        guard letters.contains(where: { b[$0] == UInt8(ascii: "b") }), letters.allSatisfy({ isLower(b[$0]) || isUpper(b[$0]) }),
              isCommand(.htpasswd, before: i) else { return nil }
        // The password is the second (with -n) or third argument after the flags.
        var position = a
        var count = letters.contains(where: { b[$0] == UInt8(ascii: "n") }) ? 2 : 3
        var last = r
        var lastEnd = end
        while true {
            guard position < n, b[position] != UInt8(ascii: "-"), case .region(let arg, let e, _) = argument(position) else { return nil }
            (last, lastEnd) = (arg, e)
            count -= 1
            if count == 0 { break }
            position = skipSpaces(e, limit: n)
        }
        maskValue(last, .secret)
        return lastEnd
    }

    /// Clients whose password flag is a letter that means other things elsewhere.
    enum Command: Int, CaseIterable {
        /// `mysql`, `mysqldump`, `mysqladmin`, `mariadb`: `-pSECRET`, glued.
        case mysql
        /// `ldapsearch`, `ldapmodify`, `ldapadd`, …: `-w SECRET`.
        case ldap
        /// `redis-cli -a SECRET`.
        case redis
        /// net-snmp's tools (`snmpwalk`, `snmpget`, `snmpbulkwalk`, …): `-c COMMUNITY`, `-A`/`-X PASSPHRASE`.
        case snmp
        /// `smbclient`, `rpcclient`, `smbcacls`, `smbmap`, `smbget`: `-U user%password`.
        case samba
        /// `ssh-keygen -N NEW -P OLD`.
        case sshKeygen
        /// `htpasswd -b file user password`.
        case htpasswd
        /// `7z`, `7za`, `7zz`, `unrar`: `-pSECRET`, glued.
        case archiver
        /// FreeRDP (`xfreerdp`, `wlfreerdp`): `/p:SECRET`.
        case freerdp
    }

    func names(_ command: Command, at k: Int) -> Bool {
        switch command {
        case .mysql: matches(k, "mysql", caseless: true) || matches(k, "mariadb", caseless: true)
        case .ldap: matches(k, "ldap", caseless: true)
        case .redis: matches(k, "redis-cli", caseless: true)
        case .snmp: matches(k, "snmp", caseless: true)
        case .samba: matches(k, "smbclient", caseless: true) || matches(k, "rpcclient", caseless: true)
            || matches(k, "smbcacls", caseless: true) || matches(k, "smbmap", caseless: true) || matches(k, "smbget", caseless: true)
        case .sshKeygen: matches(k, "ssh-keygen", caseless: true)
        case .htpasswd: matches(k, "htpasswd", caseless: true)
        case .archiver: (matches(k, "7z") || matches(k, "unrar", caseless: true)) && (k == 0 || !isAlnum(b[k - 1]))
        case .freerdp: matches(k, "freerdp", caseless: true)
        }
    }

    /// The line names `command` before `i`. Each command is searched for once per line, at the first flag that asks.
    mutating func isCommand(_ command: Command, before i: Int) -> Bool {
        if commandNamedAt.isEmpty { commandNamedAt = Array(repeating: -1, count: Command.allCases.count) }
        if commandNamedAt[command.rawValue] < 0 {
            var k = 0
            while k < n && !names(command, at: k) { k += 1 }
            commandNamedAt[command.rawValue] = k
        }
        return commandNamedAt[command.rawValue] < i
    }

    /// A command-line argument: quoted, or up to the next space.
    func argument(_ a: Int) -> Value {
        if has(a, .quote) { return quoted(a, escapes: 0) }
        var e = a
        while e < n && !has(e, .space) && !has(e, .quote) { e += 1 }
        return .region(a..<e, end: e, bare: true)
    }

    /// `ConvertTo-SecureString 'X' -AsPlainText` / `ConvertTo-SecureString -String "X"`: X is a secret.
    mutating func secureString(_ i: Int) -> Int? {
        guard matches(i, "convertto-securestring", caseless: true) else { return nil }
        var a = skipSpaces(i + 22, limit: n)
        if matches(a, "-string", caseless: true) && has(a + 7, .space) { a = skipSpaces(a + 7, limit: n) }
        guard a < n, !"-$(".utf8.contains(b[a]), case .region(let r, let end, _) = argument(a) else { return nil }
        maskValue(r, .secret)
        return end
    }

    /// Oracle's clients take `user/password@connect` as an argument (`sqlplus scott/tiger@//db:1521/ORCL`,
    /// `rman target sys/pw@db catalog rco/pw@cat`, SQL*Plus's `CONNECT scott/tiger`); Windows' `net use \\h\s
    /// PASSWORD /user:u` and `net user NAME PASSWORD /add`. At a word that starts one, its next arguments are read.
    mutating func loginCommand(_ i: Int) -> Int? {
        // The name's length, by its first letter (most words are none of these and cost one comparison).
        let length: Int
        switch b[i] | 0x20 {
        case UInt8(ascii: "s"): length = matches(i, "sqlplus ", caseless: true) ? 8 : matches(i, "sqlldr ", caseless: true) ? 7 : 0
        case UInt8(ascii: "e"): length = matches(i, "expdp ", caseless: true) ? 6 : 0
        case UInt8(ascii: "i"): length = matches(i, "impdp ", caseless: true) ? 6 : 0
        case UInt8(ascii: "r"): length = matches(i, "rman ", caseless: true) ? 5 : 0
        case UInt8(ascii: "d"): length = matches(i, "dgmgrl ", caseless: true) ? 7 : 0
        case UInt8(ascii: "c"): length = matches(i, "connect ", caseless: true) ? 8 : matches(i, "conn ", caseless: true) ? 5 : 0
        case UInt8(ascii: "n"): length = matches(i, "net ", caseless: true) ? -1 : 0
        default: length = 0
        }
        guard length != 0, i == 0 || !has(i - 1, .key) else { return nil }
        if length > 0 {
            // `connect`/`conn` are words of prose too (`conn 10.0.0.0/8`): there only `user/password@connect` counts.
            let needsConnect = b[i] | 0x20 == UInt8(ascii: "c")
            var p = i + length
            var resume: Int?
            // Flags (`-s`, `-L`), rman's `target`/`catalog`/`auxiliary`, then `user/password`: a few arguments.
            for _ in 0..<6 {
                p = skipSpaces(p, limit: n)
                guard p < n, case .region(_, let end, _) = argument(p) else { break }
                if let e = oracleLogin(at: p, needsConnect: needsConnect) { resume = e }
                p = end
            }
            return resume
        }
        let user = matches(i + 4, "user ", caseless: true)
        guard user || matches(i + 4, "use ", caseless: true) else { return nil }
        var p = i + (user ? 9 : 8)
        var skipped = user ? 1 : 0 // `net user NAME PASSWORD`: the name first
        for _ in 0..<8 {
            p = skipSpaces(p, limit: n)
            guard p < n, case .region(let r, let end, _) = argument(p), !r.isEmpty else { return nil }
            defer { p = end }
            let c = b[r.lowerBound]
            // Options (`/user:…`, `/persistent:no`), shares (`\\host\share`), devices (`Z:`), `*` (prompt).
            if c == UInt8(ascii: "/") || c == UInt8(ascii: "\\") || c == UInt8(ascii: "*") { continue }
            if r.count == 2 && b[r.lowerBound + 1] == UInt8(ascii: ":") { continue }
            if skipped > 0 { skipped -= 1; continue }
            // Only an argument the command ends at (or goes on from with options): `net use Z: \\fs01\share
            // System error 5 has occurred` is the command's output on the same line.
            let next = skipSpaces(end, limit: n)
            guard next == n || "/|&;".utf8.contains(b[next]) else { return nil }
            maskValue(r, .secret)
            return end
        }
        return nil
    }

    /// `user/password` or `user/password@connect` at `p` (maybe quoted): the password is masked. The end of the
    /// argument, or nil when it is no such login (`/ as sysdba`, a path).
    mutating func oracleLogin(at p: Int, needsConnect: Bool = false) -> Int? {
        guard case .region(let r, let end, _) = argument(p), r.count >= 3,
              let slash = r.first(where: { b[$0] == UInt8(ascii: "/") }), slash > r.lowerBound,
              (r.lowerBound..<slash).allSatisfy({ has($0, .key) || b[$0] == UInt8(ascii: "#") }) else { return nil }
        var e = slash + 1
        while e < r.upperBound && b[e] != UInt8(ascii: "@") { e += 1 }
        guard e > slash + 1, b[slash + 1] != UInt8(ascii: "/"), !needsConnect || e < r.upperBound else { return nil }
        maskValue(slash + 1..<e, .secret)
        return end
    }

    /// `-----BEGIN … PRIVATE KEY-----` … `-----END …`: the body, also when its newlines are escaped (`\n` in
    /// JSON) or the line was cut before the end.
    mutating func pemBlock(_ i: Int) -> Int? {
        guard matches(i, "-----BEGIN ") else { return nil }
        var e = i + 11
        while e < n && e - i < 80 && !matches(e, "-----") { e += 1 }
        guard matches(e, "-----") else { return nil }
        var isPrivate = false
        var k = i + 11
        while k + 11 <= e { if matches(k, "PRIVATE KEY") { isPrivate = true; break }; k += 1 }
        guard isPrivate else { return nil }
        let body = e + 5
        var j = body
        while j < n && !matches(j, "-----END") { j += 1 }
        add(body..<j)
        return j
    }

    // MARK: token shapes

    /// At the start of a word: a token of a well-known shape, `ConvertTo-SecureString`, or a scheme in free text.
    mutating func wordStart(_ i: Int) -> Int? {
        if let e = tokenShape(i) {
            add(i..<e)
            return e
        }
        if b[i] == UInt8(ascii: "A") && byte(i + 2) == UInt8(ascii: "I"), let e = awsSecretAfterKeyID(i) { return e }
        if b[i] == UInt8(ascii: "C") || b[i] == UInt8(ascii: "c"), let e = secureString(i) { return e }
        if let e = loginCommand(i) { return e }
        let w = schemeEnd(i, limit: n)
        if w > i && has(w, .space) && isKnownScheme(i..<w) {
            return schemeCredentials(at: i, force: false)
        }
        return nil
    }

    /// End of a token of a documented, well-known shape starting at `i`, or nil.
    mutating func tokenShape(_ i: Int) -> Int? {
        func atLeast(_ set: ByteClass, _ count: Int, from: Int? = nil) -> Int? {
            let e = end(of: set, from: from ?? i)
            // A line cut inside the token (max_line_bytes, a logger's or journald's limit) still shows its prefix:
            // what is left of it is masked from 12 bytes on.
            return e - i >= count || e == n && e - i >= min(count, 12) ? e : nil
        }
        switch b[i] {
        case UInt8(ascii: "e"):
            // JWT / JWS / JWE: a base64url JSON header, then a dot; also when the line cut it after one segment.
            guard matches(i, "eyJ") else { break }
            let s1 = end(of: .b64url, from: i)
            if s1 - i >= 10 && byte(s1) == UInt8(ascii: ".") { return end(of: .jwt, from: i) }
            if s1 == n && s1 - i >= 16 { return s1 } // the line cut inside the header
        case UInt8(ascii: "y"):
            if matches(i, "ya29.") { return atLeast(.jwt, 20) } // Google OAuth access token
        case UInt8(ascii: "h"):
            if matches(i, "hvs.") || matches(i, "hvb.") { return atLeast(.b64url, 24, from: i + 4) } // HashiCorp Vault tokens
            if matches(i, "hf_") { return atLeast(.alnum, 34, from: i + 3) } // Hugging Face tokens
        case UInt8(ascii: "S"):
            // SendGrid API keys: SG., 22, a dot, 43.
            if matches(i, "SG.") { let e = end(of: .jwt, from: i); if e - i >= 60 { return e } }
        case UInt8(ascii: "x"):
            // Slack: xoxb- xoxp- xoxa- xoxo- xoxs- xoxr- xoxe-, browser session xoxc- and its cookie xoxd-, app-level xapp-.
            if matches(i, "xox") && "abposrecd".utf8.contains(byte(i + 3)) && byte(i + 4) == UInt8(ascii: "-")
                || matches(i, "xapp-") { return atLeast(.b64url, 15) }
        case UInt8(ascii: "g"):
            if matches(i, "gh") && "pousr".utf8.contains(byte(i + 2)) && byte(i + 3) == UInt8(ascii: "_") {
                return atLeast(.b64url, 24) // GitHub tokens
            }
            if matches(i, "github_pat_") { return atLeast(.b64url, 30) }
            if matches(i, "glc_") || matches(i, "glsa_") { return atLeast(.b64url, 30) } // Grafana Cloud, service accounts
            // GitLab: glpat- (personal), gldt- (deploy), glrt- (runner), glptt- (trigger), glft-, glcbt-, glsoat-, …
            if matches(i, "gl") {
                var d = i + 2
                while isLower(byte(d)) && d - i < 9 { d += 1 }
                if d - i >= 4 && byte(d) == UInt8(ascii: "-") { return atLeast(.b64url, 20) }
            }
        case UInt8(ascii: "s"), UInt8(ascii: "r"):
            if matches(i + 1, "k_live_") || matches(i + 1, "k_test_") { return atLeast(.b64url, 20) } // Stripe
            if matches(i, "sk-") { return atLeast(.b64url, 23) }
            // Shopify access tokens and shared secrets: shpat_ shpss_ shpca_ shppa_ and 32 hex digits.
            if matches(i, "shp") && byte(i + 5) == UInt8(ascii: "_") { return atLeast(.alnum, 32, from: i + 6) }
            if matches(i, "sntrys_") { return atLeast(.b64url, 40) } // Sentry organisation tokens
        case UInt8(ascii: "p"):
            if matches(i, "pypi-AgEIcHlwaS5vcmc") { return atLeast(.b64url, 50) } // PyPI API tokens
        case UInt8(ascii: "n"):
            if matches(i, "npm_") { return atLeast(.b64url, 40) }
        case UInt8(ascii: "o"):
            if matches(i, "oy2") && isBase32Run(i, 46) { return i + 46 } // NuGet API keys
        case UInt8(ascii: "d"):
            if matches(i, "dckr_pat_") { return atLeast(.b64url, 24) } // Docker Hub access tokens
            if matches(i, "dapi") { // Azure Databricks tokens: dapi, 32 hex digits, maybe -N
                var e = i + 4
                while e - i < 36 && (isDigit(byte(e)) || byte(e) >= 0x61 && byte(e) <= 0x66) { e += 1 }
                if e - i == 36 && !isAlnum(byte(e)) {
                    if byte(e) == UInt8(ascii: "-") && isDigit(byte(e + 1)) { e = end(of: .alnum, from: e + 1) }
                    return e
                }
            }
        case UInt8(ascii: "C"):
            if matches(i, "CfDJ8") { return atLeast(.b64url, 40) } // ASP.NET Core data protection: auth cookies, antiforgery
        case UInt8(ascii: "T"):
            if matches(i, "TlRMTVNTUA") { return atLeast(.msa, 24) } // NTLM messages (NTLMSSP in base64)
        case UInt8(ascii: "4"):
            if matches(i, "4/0A") { return atLeast(.b64url, 24, from: i + 4) } // Google authorization codes
        case UInt8(ascii: "A"):
            if matches(i, "AQAB") { return atLeast(.b64url, 60) } // Entra v1 refresh tokens and codes
            if matches(i, "AIza") { return atLeast(.b64url, 39) } // Google API keys
            // Atlassian API tokens (Jira, Confluence): ATATT3, about 180 characters, `=` and a checksum at the end.
            if matches(i, "ATATT3") { return atLeast(.msa, 100) }
            if matches(i, "AgoJb3JpZ2lu") { return atLeast(.msa, 100) } // AWS STS session tokens
        case UInt8(ascii: "I"):
            if matches(i, "IQoJb3JpZ2lu") { return atLeast(.msa, 100) } // AWS STS session tokens
        case UInt8(ascii: "F"):
            if matches(i, "FwoGZXIvYXdz") || matches(i, "FQoGZXIvYXdz") { return atLeast(.msa, 100) } // AWS STS, older
        case UInt8(ascii: "G"):
            if matches(i, "GOCSPX-") { return atLeast(.b64url, 30) } // Google OAuth client secrets
            if matches(i, "GR1348941") { return atLeast(.b64url, 29) } // GitLab runner registration tokens
        case UInt8(ascii: "5"):
            // Salesforce refresh tokens: 5Aep861 and 40 to 90 more (`.` and `=` included).
            if matches(i, "5Aep861"), var e = atLeast(.msToken, 40) {
                while e < n && b[e] == UInt8(ascii: "=") { e += 1 }
                return e
            }
        case UInt8(ascii: "E"):
            if byte(i + 1) == UInt8(ascii: "w") && isUpper(byte(i + 2)) { return atLeast(.msa, 100) } // MSA access tokens
        case UInt8(ascii: "M"):
            // MSA refresh tokens and codes: M.R3_BAY.…, M.C507_BL2.2.U.…
            if byte(i + 1) == UInt8(ascii: "."), isUpper(byte(i + 2)) {
                var d = i + 3
                while isDigit(byte(d)) && d - i < 8 { d += 1 }
                if d > i + 3 && byte(d) == UInt8(ascii: "_") { return atLeast(.msToken, 30) }
            }
        case UInt8(ascii: "0"), UInt8(ascii: "1"):
            // Entra refresh tokens and authorization codes: 0.A… / 1.A…
            if byte(i + 1) == UInt8(ascii: "."), byte(i + 2) == UInt8(ascii: "A") { return atLeast(.msToken, 24) }
            if matches(i, "1//0") { return atLeast(.b64url, 24, from: i + 4) } // Google refresh tokens
            if matches(i, "00D") {
                // Salesforce session id: the org id (15 or 18), '!', the session.
                let org = end(of: .alnum, from: i)
                if org - i >= 15 && org - i <= 18 && byte(org) == UInt8(ascii: "!") {
                    let e = end(of: .salesforce, from: org + 1)
                    if e - org > 20 { return e }
                }
            }
            if matches(i, "00") {
                // Okta API token: 00 and 40 base64url characters, both cases.
                let e = end(of: .b64url, from: i)
                if e - i == 42 && (i..<e).contains(where: { isUpper(b[$0]) }) && (i..<e).contains(where: { isLower(b[$0]) }) {
                    return e
                }
            }
        default:
            break
        }
        if let e = paddedKey(i) { return e }
        // Common annotated security keys (Azure DevOps and other Microsoft services): 84 or 86 alphanumerics with
        // the `JQQJ9` signature at 52, then maybe `==`.
        if matches(i + 52, "JQQJ9") {
            let e = end(of: .alnum, from: i)
            if e - i == 84 { return e }
            if e - i == 86 && matches(e, "==") { return e + 2 }
        }
        // The runs `paddedKey` measured: what follows costs nothing more for a word of no such length.
        let b64End = end(of: .b64, from: i)
        if b64End - i == 52 {
            // Azure identifiable keys without padding, their signature at 42: Cognitive Search query and admin keys
            // (`AzSe`), Container Registry keys (`+ACR`).
            if (matches(i + 42, "AzSe") || matches(i + 42, "+ACR")) && !has(b64End, .b64url) && byte(b64End) != UInt8(ascii: "=") {
                return b64End
            }
            // Azure DevOps personal access tokens of the older format: base32's lower-case alphabet (a-z, 2-7).
            if isBase32Run(i, 52) && (i..<i + 52).count(where: { isDigit(b[$0]) }) >= 4 { return i + 52 }
        }
        // The end first: a mutating call inside a non-mutating one's arguments copies the whole scan (`paddedKey`).
        let b64urlEnd = end(of: .b64url, from: i)
        if byte(b64urlEnd) == UInt8(ascii: ".") { return jwtTail(i) }
        if i > 0 && (has(i - 1, .space) || has(i - 1, .quote)) && max(b64End, b64urlEnd) - i >= 62 && !namesIdentifier(before: i) {
            return blob(i, lineStart: false)
        }
        return nil
    }

    /// The key in front of `i` names an identifier (`x-amz-id-2: …`, `request_id="…"`, `ETag: "…"`): a long random
    /// id there stays. Only asked for a long random run after a space or a quote.
    func namesIdentifier(before i: Int) -> Bool {
        var j = i - 1
        var separated = false
        while j >= 0 && i - j <= 4 && (has(j, .space) || has(j, .quote) || b[j] == UInt8(ascii: ":") || b[j] == UInt8(ascii: "=")) {
            if b[j] == UInt8(ascii: ":") || b[j] == UInt8(ascii: "=") { separated = true }
            j -= 1
        }
        var s = j + 1
        while s > 0 && j + 1 - s < 64 && has(s - 1, .key) { s -= 1 }
        guard separated, s <= j else { return false }
        let words = SecretKeys.words(UnsafeBufferPointer(start: b + s, count: j + 1 - s))
        return ["id", "ids", "identifier", "etag", "tag"].contains(words.last?.text ?? "")
    }

    /// `count` bytes of base32 in lower case (a-z, 2-7) from `i`, bounded by no other alphanumeric. The last byte
    /// and the one after are looked at first: most words end elsewhere and cost two reads.
    func isBase32Run(_ i: Int, _ count: Int) -> Bool {
        func base32(_ c: UInt8) -> Bool { isLower(c) || c >= 0x32 && c <= 0x37 }
        guard base32(byte(i + count - 1)), !isAlnum(byte(i + count)) else { return false }
        return (i..<i + count - 1).allSatisfy { base32(b[$0]) }
    }

    /// Upper case, lower case and digits, changing class at least every 2.5 bytes: random bytes in base64
    /// (a key, a signature), not a name (`Http2ServerConnectionHandler` changes every 3.5, random base64 every 1.5).
    func looksRandom(_ r: Range<Int>) -> Bool {
        var seen: UInt8 = 0
        var changes = 0
        var last: UInt8 = 0
        for k in r {
            let c = b[k]
            let kind: UInt8 = isUpper(c) ? 1 : isLower(c) ? 2 : isDigit(c) ? 4 : 8
            seen |= kind
            if kind != last { changes += 1 }
            last = kind
        }
        return seen & 7 == 7 && changes * 5 >= r.count * 2
    }

    /// The rest of a JWT whose start is on an earlier line (a logger or journald split the line inside it):
    /// base64url segments joined by dots, the last a signature (40+ random bytes) or two of 16+ random bytes. Only
    /// from the start of a dotted run: later word starts inside it are not looked at again.
    mutating func jwtTail(_ i: Int) -> Int? {
        // Not from inside an escape either: `\u0022eyJ…`, `%3DeyJ…` (the `eyJ` is where the token starts).
        guard i == 0 || !has(i - 1, .jwt) && b[i - 1] != UInt8(ascii: "\\") && b[i - 1] != UInt8(ascii: "%") else { return nil }
        let u = end(of: .b64url, from: i)
        guard byte(u) == UInt8(ascii: ".") else { return nil }
        let e = end(of: .jwt, from: i)
        guard e - i >= 40, e == n || has(e, .stop) || b[e] == UInt8(ascii: "\\") || b[e] == UInt8(ascii: "%") else { return nil }
        var segments: [Range<Int>] = []
        var s = i
        for k in i...e where k == e || b[k] == UInt8(ascii: ".") {
            segments.append(s..<k)
            s = k + 1
            if segments.count > 3 { return nil }
        }
        let last = segments.last(where: { !$0.isEmpty }) ?? i..<i
        let random = segments.filter { $0.count >= 16 && looksRandom($0) }
        guard last.count >= 40 && looksRandom(last) || random.count >= 2 else { return nil }
        return e
    }

    /// A line that starts with what can only be part of a key or token whose start was on an earlier line
    /// (`blob`). Returns where the scan goes on.
    mutating func lineStartBlob(at start: Int) -> Int? {
        var p = skipBlanks(start)
        if has(p, .quote) { p += 1 }
        guard p < n, isAlnum(b[p]) || b[p] == UInt8(ascii: "+") else { return nil }
        if let e = blob(p, lineStart: true) ?? jwtTail(p) {
            add(p..<e)
            return e
        }
        return nil
    }

    /// The end of a run of random base64 (`looksRandom`) that stands alone, or nil: a PEM or WS-Security body
    /// line (64 or 76 bytes of base64, or 100 and more: a certificate or key on one line), a JWT's or key's end
    /// (64+ bytes of base64url). At a line's start, where a logger or journald split a line inside a token or a
    /// multi-line key goes on, also its last line (with padding) and 40+ bytes of base64url.
    mutating func blob(_ p: Int, lineStart: Bool) -> Int? {
        // JSON in base64 (`eyJ`, a claims challenge) is no random key: a JWT is found by its dots.
        guard !matches(p, "eyJ") else { return nil }
        func alone(_ e: Int) -> Bool { e == n || has(e, .stop) || b[e] == UInt8(ascii: "\\") }
        let e = end(of: .b64, from: p)
        if lineStart || e - p >= 62 {
            var padded = e
            while padded < n && padded - e < 2 && b[padded] == UInt8(ascii: "=") { padded += 1 }
            let length = padded - p
            if alone(padded),
               length == 64 || length == 76 || length >= 100 || lineStart && (length >= 40 || padded > e && length % 4 == 0 && length >= 16),
               looksRandom(p..<e) {
                return padded
            }
        }
        let u = end(of: .b64url, from: p)
        if u - p >= (lineStart ? 40 : 64), alone(u), looksRandom(p..<u) { return u }
        return nil
    }

    /// `AKIA…,wJalr…` (credentials.csv), `AKIA…:wJalr…`, `AKIA… wJalr…`: the access key id is an identifier and
    /// stays; the 40-byte secret access key right after it is masked.
    mutating func awsSecretAfterKeyID(_ i: Int) -> Int? {
        guard matches(i, "AKIA") || matches(i, "ASIA") else { return nil }
        var p = i + 4
        while p < i + 20 && (isUpper(byte(p)) || isDigit(byte(p))) { p += 1 }
        guard p == i + 20, !isAlnum(byte(p)) else { return nil }
        var k = 0
        while k < 4 && p < n && ",:;| \t\"'".utf8.contains(b[p]) { p += 1; k += 1 }
        guard k > 0 else { return nil }
        let e = end(of: .b64, from: p)
        guard e - p == 40, !has(e, .b64url), byte(e) != UInt8(ascii: "="),
              (p..<e).contains(where: { isUpper(b[$0]) }), (p..<e).contains(where: { isLower(b[$0]) }) else { return nil }
        add(p..<e)
        return e
    }

    /// A key in base64 (or base64url) with its padding: 32-byte keys are 44 characters ending in `=` (Service
    /// Bus, Event Hubs, Relay, Redis, IoT Hub), 64-byte keys 88 ending in `==` (Storage, Cosmos DB, Batch), Functions
    /// keys 56 ending in `==`. Upper case, lower case and digits all present: random bytes, not a word or a number.
    mutating func paddedKey(_ i: Int) -> Int? {
        guard i == 0 || !has(i - 1, .b64) && !has(i - 1, .b64url) else { return nil }
        // The ends first: a mutating call in the argument of a non-mutating one copies the whole scan (its arrays
        // retained and released), which was most of the redaction's cost on every line.
        let b64End = end(of: .b64, from: i)
        var found = padded(i, b64End)
        if found == nil {
            let b64urlEnd = end(of: .b64url, from: i)
            found = padded(i, b64urlEnd)
        }
        guard let e = found, !isDigestValue(at: i) else { return nil }
        return e
    }

    /// A digest in base64 has the shape of a 32- or 64-byte key: `x-ms-encryption-key-sha256: …`,
    /// `Content-Digest: sha-256=…`, `integrity="sha384-…"` name what it is just before it (or in its own prefix).
    func isDigestValue(at i: Int) -> Bool {
        var j = i - 1
        var k = 0
        while j >= 0 && k < 4 && (has(j, .space) || has(j, .quote) || b[j] == UInt8(ascii: ":") || b[j] == UInt8(ascii: "=")) {
            j -= 1
            k += 1
        }
        var start = j + 1
        while start > 0 && j + 1 - start < 64 && has(start - 1, .key) { start -= 1 }
        let lower = String(decoding: (start..<j + 1).map { isUpper(b[$0]) ? b[$0] | 0x20 : b[$0] } + [0x20]
            + (i..<min(i + 7, n)).map { isUpper(b[$0]) ? b[$0] | 0x20 : b[$0] }, as: UTF8.self)
        return ["sha1", "sha2", "sha3", "sha5", "sha-", "md5", "hash", "digest", "checksum", "integrity", "fingerprint", "thumbprint", "etag"]
            .contains { lower.contains($0) }
    }

    func padded(_ i: Int, _ e: Int) -> Int? {
        guard byte(e) == UInt8(ascii: "=") else { return nil }
        let padded = byte(e + 1) == UInt8(ascii: "=") ? e + 2 : e + 1
        let total = padded - i
        guard total >= 40, total % 4 == 0, !has(padded, .b64), byte(padded) != UInt8(ascii: "="),
              (i..<e).contains(where: { isUpper(b[$0]) }), (i..<e).contains(where: { isLower(b[$0]) }),
              (i..<e).contains(where: { isDigit(b[$0]) })
        else { return nil }
        return padded
    }

    /// Entra ID client secret: three characters, a digit, `Q~`, then 31 to 34 characters (fewer where the line was
    /// cut inside it).
    mutating func entraSecret(tilde t: Int) -> Int? {
        guard t >= 5, b[t - 1] == UInt8(ascii: "Q"), isDigit(b[t - 2]),
              has(t - 3, .entraSecret), has(t - 4, .entraSecret), has(t - 5, .entraSecret) else { return nil }
        let e = end(of: .entraSecret, from: t + 1)
        guard e - t - 1 >= 31 || e == n && e - t - 1 >= 6 else { return nil }
        add(t - 5..<e)
        return e
    }

    // MARK: values that are not secrets

    /// Values kept even under a secret's key: booleans and nulls, placeholders and masks, variable references,
    /// AWS access key ids (identifiers), AADSTS codes; GUIDs and Windows SIDs as session ids; numbers as codes.
    func keeps(_ r: Range<Int>, _ cls: KeyClass) -> Bool {
        guard r.count <= 256 else { return false }
        let s = UnsafeBufferPointer(start: b + r.lowerBound, count: r.count)
        let lower = String(decoding: s.map { isUpper($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        if ["true", "false", "null", "nil", "none", "undefined", "redacted", "[redacted]", "<redacted>", "hidden",
            "<hidden>", "(hidden)", "masked", "removed"].contains(lower) { return true }
        if s.count >= 3 && s.allSatisfy({ $0 == UInt8(ascii: "*") }) { return true }
        if s.count >= 2, let f = s.first, let l = s.last {
            if f == UInt8(ascii: "<") && l == UInt8(ascii: ">") { return true }
            if lower.hasPrefix("${") && l == UInt8(ascii: "}") || lower.hasPrefix("{{") && lower.hasSuffix("}}") { return true }
        }
        if (lower.hasPrefix("akia") || lower.hasPrefix("asia")) && s.count >= 20
            && s[4..<20].allSatisfy({ isUpper($0) || isDigit($0) }) && (s.count == 20 || s[20] == UInt8(ascii: "/") || s[20] == UInt8(ascii: "%")) {
            return true
        }
        if lower.hasPrefix("aadsts") && s.count > 6 && isDigit(s[6]) { return true }
        switch cls {
        case .sessionID:
            return Self.isGUID(s) || lower.hasPrefix("s-1-")
        case .urlSecret:
            return s.allSatisfy(isDigit)
        default:
            return false
        }
    }

    static func isGUID(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = s[...]
        if s.first == UInt8(ascii: "{") && s.last == UInt8(ascii: "}") { s = s.dropFirst().dropLast() }
        guard s.count == 36 else { return false }
        return s.enumerated().allSatisfy { k, c in
            [8, 13, 18, 23].contains(k) ? c == UInt8(ascii: "-") : isDigit(c) || "abcdefABCDEF".utf8.contains(c)
        }
    }
}

/// A line with its escaped punctuation decoded: JSON's `\uXXXX` (System.Text.Json writes `"` as `\u0022`), `\n`,
/// `\r`, `\t`, `\/`; URL encoding's `%XX`; HTML's `&quot;`, `&#39;`, `&amp;`, … Only what decodes to ASCII
/// punctuation or whitespace is decoded (an escaped letter changes no structure), `\\` and `\"` stay as they are
/// (the scan reads nested JSON strings by their backslashes). `origin[k]` is where decoded byte `k` starts in the
/// line (`origin[count]` is the line's end), so a span of the decoded text is a span of the line.
struct DecodedDelimiters {
    var bytes: [UInt8] = []
    var origin: [Int] = []

    /// Nil when the line holds no such escape (the usual case: nothing to read twice).
    init?(_ b: UnsafePointer<UInt8>, _ n: Int) {
        // Only `\`, `%` and `&` start an escape, and most lines hold none that decodes: find the first one before
        // looking at anything else (every finding's line comes here).
        var i = 0
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: "\\") || c == UInt8(ascii: "%") || c == UInt8(ascii: "&") {
                if Self.escape(b, n, at: i).1 > 0 { break }
                i += c == UInt8(ascii: "\\") && i + 1 < n && b[i + 1] == UInt8(ascii: "\\") ? 2 : 1
            } else {
                i += 1
            }
        }
        guard i < n else { return nil }
        var decodedAny = false
        while i < n {
            let (c, length) = Self.escape(b, n, at: i)
            if length > 0 {
                if !decodedAny {
                    decodedAny = true
                    bytes.reserveCapacity(n)
                    origin.reserveCapacity(n + 1)
                    for k in 0..<i { bytes.append(b[k]); origin.append(k) }
                }
                bytes.append(c)
                origin.append(i)
                i += length
            } else {
                // `\\` is one escaped backslash: the byte after it starts nothing.
                let step = b[i] == UInt8(ascii: "\\") && i + 1 < n && b[i + 1] == UInt8(ascii: "\\") ? 2 : 1
                if decodedAny { for k in i..<i + step { bytes.append(b[k]); origin.append(k) } }
                i += step
            }
        }
        guard decodedAny else { return nil }
        origin.append(n)
    }

    static func hex(_ c: UInt8) -> Int? {
        if isDigit(c) { return Int(c - 0x30) }
        let l = c | 0x20
        return l >= 0x61 && l <= 0x66 ? Int(l - 0x61 + 10) : nil
    }

    /// Punctuation and whitespace: what delimits keys, values and tokens.
    static func isDelimiter(_ c: Int) -> Bool {
        c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c < 0x7F && !isAlnum(UInt8(c)))
    }

    /// The byte an escape at `i` stands for and its length (0: no escape here).
    static func escape(_ b: UnsafePointer<UInt8>, _ n: Int, at i: Int) -> (UInt8, Int) {
        func at(_ k: Int) -> UInt8 { i + k < n ? b[i + k] : 0 }
        switch b[i] {
        case UInt8(ascii: "\\"):
            switch at(1) {
            case UInt8(ascii: "u"):
                guard let h0 = hex(at(2)), let h1 = hex(at(3)), let h2 = hex(at(4)), let h3 = hex(at(5)) else { break }
                let v = h0 << 12 | h1 << 8 | h2 << 4 | h3
                // `\u005c` is a backslash: decoding it would start escapes the writer never wrote.
                if isDelimiter(v) && v != 0x5C { return (UInt8(v), 6) }
            case UInt8(ascii: "n"): return (0x0A, 2)
            case UInt8(ascii: "r"): return (0x0D, 2)
            case UInt8(ascii: "t"): return (0x09, 2)
            case UInt8(ascii: "/"): return (UInt8(ascii: "/"), 2)
            default: break
            }
        case UInt8(ascii: "%"):
            guard let h0 = hex(at(1)), let h1 = hex(at(2)) else { break }
            var v = h0 << 4 | h1
            var length = 3
            // `%253D`: a query encoded twice (a redirect's state or return URL inside another URL's query).
            if v == 0x25, let h2 = hex(at(3)), let h3 = hex(at(4)) {
                v = h2 << 4 | h3
                length = 5
            }
            // `%2F` and `%40` stay: a URL-encoded account name (`jdoe%40example.com%2Ftoken:…@host`) is no URL's user part.
            if isDelimiter(v) && v != 0x25 && v != 0x5C && v != 0x2F && v != 0x40 { return (UInt8(v), length) }
        case UInt8(ascii: "&"):
            guard isLetter(at(1)) || at(1) == UInt8(ascii: "#") else { break }
            for (entity, c) in Self.entities {
                let count = entity.utf8CodeUnitCount
                guard i + count <= n else { continue }
                if (0..<count).allSatisfy({ b[i + $0] == entity.utf8Start[$0] }) { return (c, count) }
            }
        default:
            break
        }
        return (0, 0)
    }

    static let entities: [(StaticString, UInt8)] = [
        ("&quot;", UInt8(ascii: "\"")), ("&#34;", UInt8(ascii: "\"")), ("&#x22;", UInt8(ascii: "\"")),
        ("&apos;", UInt8(ascii: "'")), ("&#39;", UInt8(ascii: "'")), ("&#x27;", UInt8(ascii: "'")),
        ("&amp;", UInt8(ascii: "&")), ("&lt;", UInt8(ascii: "<")), ("&gt;", UInt8(ascii: ">")),
    ]
}
