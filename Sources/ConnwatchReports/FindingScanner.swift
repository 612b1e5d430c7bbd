import Foundation
import ConnwatchModel

/// A JSON string inside a scanned line: where its bytes are (between the quotes) and whether they hold escapes.
/// Reports turn only the strings they keep into `String`s; most of a finding (remediation, the line) is skipped.
struct StringRef {
    var start: Int
    var end: Int
    var escaped: Bool
}

/// One findings-file line as `report` needs it: string fields as references into the line's bytes.
struct ScannedFinding {
    var time: Double?
    var eventTime: Double?
    var host: StringRef?
    var sourceHost: StringRef?
    var rule: StringRef?
    var kind: StringRef?
    var app: StringRef?
    var severity: Severity?
    var title: StringRef?
    var code: StringRef?
    var tenantID: StringRef?
    var clientID: StringRef?
    var appID: StringRef?
    var remediation: StringRef?
    var reference: StringRef?
    var unit: StringRef?
    var identifier: StringRef?
    var path: StringRef?
    var line: StringRef?
    var count = 1

    /// When the event happened as far as the report knows: its own time when the finding carries one.
    var when: Double { eventTime ?? time ?? 0 }
}

/// Reads the JSON lines connwatch writes without building a generic JSON tree: the keys a report uses are picked
/// out (any order, escapes honoured), everything else is validated and skipped. Strict: any syntax error, a
/// missing or mistyped required key, or a bad time rejects the line with a message naming the problem.
struct FindingScanner {
    let b: UnsafeRawBufferPointer
    var i = 0

    /// Nesting allowed inside a finding (candidates and related are arrays of flat objects).
    static let maxDepth = 32

    static func scan(_ bytes: UnsafeRawBufferPointer) throws(ReportInputError) -> ScannedFinding {
        var s = FindingScanner(b: bytes)
        return try s.finding()
    }

    // MARK: The top-level object

    mutating func finding() throws(ReportInputError) -> ScannedFinding {
        skipSpace()
        guard peek == UInt8(ascii: "{") else { throw ReportInputError("not a JSON object") }
        i += 1
        var f = ScannedFinding()
        var timeRef: StringRef?, eventTimeRef: StringRef?, severityRef: StringRef?
        var first = true
        while true {
            skipSpace()
            if peek == UInt8(ascii: "}") && first { i += 1; break }
            let key = try string()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            switch fieldName(key) {
            case .time?: timeRef = try optionalString()
            case .eventTime?: eventTimeRef = try optionalString()
            case .host?: f.host = try optionalString()
            case .sourceHost?: f.sourceHost = try optionalString()
            case .rule?: f.rule = try optionalString()
            case .kind?: f.kind = try optionalString()
            case .app?: f.app = try optionalString()
            case .severity?: severityRef = try optionalString()
            case .title?: f.title = try optionalString()
            case .remediation?: f.remediation = try optionalString()
            case .reference?: f.reference = try optionalString()
            case .line?: f.line = try optionalString()
            case .count?: f.count = try count()
            case .origin?:
                if peek == UInt8(ascii: "{") { try origin(&f) } else { try skipValue(depth: 1) }
            default:
                switch extractedName(key) {
                case 1: f.code = try optionalString()
                case 2: f.tenantID = try optionalString()
                case 3: f.clientID = try optionalString()
                case 4: f.appID = try optionalString()
                default: try skipValue(depth: 1)
                }
            }
            first = false
            skipSpace()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"))
            break
        }
        skipSpace()
        guard i == b.count else { throw syntax("text after the object") }
        guard let timeRef else { throw ReportInputError("no 'time'") }
        guard let time = Self.time(b, timeRef) else { throw ReportInputError("'time' is not RFC 3339: \(text(timeRef))") }
        f.time = time
        if let eventTimeRef {
            guard let t = Self.time(b, eventTimeRef) else {
                throw ReportInputError("'event_time' is not RFC 3339: \(text(eventTimeRef))")
            }
            f.eventTime = t
        }
        guard f.rule != nil else { throw ReportInputError("no 'rule'") }
        guard let severityRef, let severity = lookup(severityRef, Self.severities) else {
            throw ReportInputError("no valid 'severity'")
        }
        f.severity = severity
        return f
    }

    mutating func origin(_ f: inout ScannedFinding) throws(ReportInputError) {
        i += 1
        skipSpace()
        if peek == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            let key = try string()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            switch originName(key) {
            case .unit?: f.unit = try optionalString()
            case .identifier?: f.identifier = try optionalString()
            case .path?: f.path = try optionalString()
            default: try skipValue(depth: 2)
            }
            skipSpace()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            try expect(UInt8(ascii: "}"))
            return
        }
    }

    /// A string value, or nil for any other value (skipped): a report treats a mistyped optional key as absent.
    mutating func optionalString() throws(ReportInputError) -> StringRef? {
        if peek == UInt8(ascii: "\"") { return try string() }
        try skipValue(depth: 1)
        return nil
    }

    /// `count` must be a positive integer that fits in 64 bits; sums over many of them saturate later.
    mutating func count() throws(ReportInputError) -> Int {
        let start = i
        var n = 0, overflow = false, digits = 0
        while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(b[i] - 0x30))
            overflow = overflow || o1 || o2
            n = s; i += 1; digits += 1
        }
        let ok = digits > 0 && !(digits > 1 && b[start] == 0x30) && i < b.count
            && (b[i] == UInt8(ascii: ",") || b[i] == UInt8(ascii: "}") || Self.isSpace(b[i]))
        guard ok, n >= 1 || overflow else { throw ReportInputError("'count' is not a positive integer") }
        guard !overflow else { throw ReportInputError("'count' is too large for a 64-bit integer") }
        return n
    }

    // MARK: Keys

    /// Key names as bytes once, so matching a key is a length check and a memcmp.
    struct KeyTable<ID: Sendable>: Sendable {
        let entries: [(bytes: [UInt8], id: ID)]
        init(_ pairs: [(String, ID)]) { entries = pairs.map { (Array($0.0.utf8), $0.1) } }
    }

    static let topKeys = KeyTable<FindingField>([FindingField.time, .eventTime, .host, .sourceHost, .rule, .kind, .app,
        .severity, .title, .remediation, .reference, .line, .count, .origin].map { ($0.rawValue, $0) })
    /// Extracted fields: 1 code, 2 tenant, 3 client, 4 app id.
    static let extractedKeys = KeyTable<Int>([(FindingField.code, 1), (FindingField.tenantID, 2),
                                              (FindingField.clientID, 3), (FindingField.appID, 4)])
    static let severities = KeyTable<Severity>(Severity.allCases.map { ($0.rawValue, $0) })
    static let originKeys = KeyTable<OriginField>([OriginField.unit, .identifier, .path].map { ($0.rawValue, $0) })

    /// Keys are compared as bytes; an escaped key (legal, never written by connwatch) is decoded first.
    func lookup<ID: Sendable>(_ r: StringRef, _ table: KeyTable<ID>) -> ID? {
        if r.escaped {
            let key = Array(text(r).utf8)
            return table.entries.first { $0.bytes == key }?.id
        }
        let n = r.end - r.start
        for e in table.entries where e.bytes.count == n {
            if e.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, b.baseAddress! + r.start, n) == 0 }) { return e.id }
        }
        return nil
    }

    func fieldName(_ r: StringRef) -> FindingField? { lookup(r, Self.topKeys) }
    func extractedName(_ r: StringRef) -> Int { lookup(r, Self.extractedKeys) ?? 0 }
    func originName(_ r: StringRef) -> OriginField? { lookup(r, Self.originKeys) }

    // MARK: JSON grammar (RFC 8259)

    var peek: UInt8 { i < b.count ? b[i] : 0 }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

    mutating func skipSpace() { while i < b.count && Self.isSpace(b[i]) { i += 1 } }

    func syntax(_ what: String) -> ReportInputError {
        ReportInputError("invalid JSON at byte \(i + 1): \(what)")
    }

    mutating func expect(_ c: UInt8) throws(ReportInputError) {
        skipSpace()
        guard peek == c else {
            throw syntax(i < b.count ? "expected '\(Character(Unicode.Scalar(c)))'" : "unexpected end of line")
        }
        i += 1
    }

    /// A string; the scanner stops at the closing quote, checking escapes and rejecting raw control characters.
    mutating func string() throws(ReportInputError) -> StringRef {
        guard peek == UInt8(ascii: "\"") else { throw syntax("expected a string") }
        i += 1
        let start = i
        var escaped = false
        let n = b.count
        while i < n {
            // Eight bytes at a time while none is a quote, a backslash or a control character: most of a finding
            // is long plain strings (line, remediation), and this loop is the report's hot path.
            while i + 8 <= n && !Self.special(b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
            guard i < n else { break }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return StringRef(start: start, end: i - 1, escaped: escaped)
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < b.count else { break }
                switch b[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 5 < b.count, (2...5).allSatisfy({ Self.hex(b[i + $0]) != nil }) else {
                        throw syntax("bad \\u escape")
                    }
                    i += 6
                default: throw syntax("bad escape")
                }
                continue
            }
            if c < 0x20 { throw syntax("control character in a string") }
            i += 1
        }
        throw syntax("unterminated string")
    }

    /// Whether any byte of the word is `"`, `\\` or below 0x20 (the classic "has zero / has less" bit tricks; byte
    /// order does not matter for "any").
    @inline(__always)
    static func special(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        return ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (w &- ones &* 0x20) & ~w) & highs != 0
    }

    /// Validates and skips any value; nesting is bounded so a hostile line cannot exhaust the stack.
    mutating func skipValue(depth: Int) throws(ReportInputError) {
        guard depth <= Self.maxDepth else { throw syntax("nested too deeply") }
        skipSpace()
        switch peek {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"):
            i += 1
            skipSpace()
            if peek == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipSpace()
                _ = try string()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"))
                return
            }
        case UInt8(ascii: "["):
            i += 1
            skipSpace()
            if peek == UInt8(ascii: "]") { i += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipSpace()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"))
                return
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), 0x30...0x39: try number()
        default: throw syntax(i < b.count ? "unexpected character" : "unexpected end of line")
        }
    }

    mutating func literal(_ word: String) throws(ReportInputError) {
        for c in word.utf8 {
            guard peek == c else { throw syntax("unexpected character") }
            i += 1
        }
    }

    mutating func number() throws(ReportInputError) {
        if peek == UInt8(ascii: "-") { i += 1 }
        func digits(_ s: inout FindingScanner) -> Int {
            let start = s.i
            while s.i < s.b.count && s.b[s.i] >= 0x30 && s.b[s.i] <= 0x39 { s.i += 1 }
            return s.i - start
        }
        let intStart = i
        let n = digits(&self)
        guard n > 0, !(n > 1 && b[intStart] == 0x30) else { throw syntax("bad number") }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw syntax("bad number") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw syntax("bad number") }
        }
    }

    static func hex(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }

    // MARK: Values

    func text(_ r: StringRef) -> String { Self.text(b, r) }

    /// The string's text, escapes decoded; invalid UTF-8 and lone surrogates become U+FFFD.
    static func text(_ b: UnsafeRawBufferPointer, _ r: StringRef) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: b[r.start..<r.end])
        guard r.escaped else { return String(decoding: raw, as: UTF8.self) }
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var k = 0
        func unit(_ at: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 << 4 | (hex(raw[at + $1]) ?? 0) }
        }
        func append(_ scalar: UInt32) {
            let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
            out.append(contentsOf: String(Character(s)).utf8)
        }
        while k < raw.count {
            let c = raw[k]
            guard c == UInt8(ascii: "\\"), k + 1 < raw.count else { out.append(c); k += 1; continue }
            let e = raw[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard k + 4 <= raw.count else { k = raw.count; break }
                let u = unit(k)
                k += 4
                if (0xD800..<0xDC00).contains(u), k + 6 <= raw.count, raw[k] == UInt8(ascii: "\\"),
                   raw[k + 1] == UInt8(ascii: "u") {
                    let low = unit(k + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        append(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00))
                        k += 6
                        continue
                    }
                }
                append(u)
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func time(_ b: UnsafeRawBufferPointer, _ r: StringRef) -> Double? {
        guard !r.escaped else { return Timestamp.seconds(Array(text(b, r).utf8)[...]) }
        return Timestamp.seconds(UnsafeRawBufferPointer(rebasing: b[r.start..<r.end]))
    }
}

extension Timestamp {
    /// RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` or a space, any case): connwatch's own form and the
    /// offsets that `event_time` carries. By hand, without a formatter: a report parses one or two per finding.
    package static func parse(_ s: String) -> Date? {
        seconds(Array(s.utf8)[...]).map { Date(timeIntervalSince1970: $0) }
    }

    /// Seconds since the epoch; nil unless every field is in range for its calendar month.
    static func seconds<C: RandomAccessCollection>(_ s: C) -> Double? where C.Element == UInt8, C.Index == Int {
        let b0 = s.startIndex, n = s.count
        guard n >= 20 else { return nil }
        func at(_ k: Int) -> UInt8 { s[b0 + k] }
        func num(_ from: Int, _ width: Int) -> Int? {
            var v = 0
            for k in from..<from + width {
                let c = at(k)
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        let sep = at(10)
        guard at(4) == 45, at(7) == 45, sep == 84 || sep == 116 || sep == 32, at(13) == 58, at(16) == 58,
              let year = num(0, 4), let month = num(5, 2), let day = num(8, 2), let hour = num(11, 2),
              let minute = num(14, 2), let second = num(17, 2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 61 else { return nil }
        var k = 19
        var fraction = 0.0
        if at(k) == 46 {
            k += 1
            // Whole digits over a power of ten (not a running 0.1 scale): .250 must give exactly 0.25.
            var digits = 0, scale = 1
            let start = k
            while k < n, at(k) >= 48 && at(k) <= 57 {
                if k - start < 9 { digits = digits * 10 + Int(at(k) - 48); scale *= 10 }
                k += 1
            }
            guard k > start else { return nil }
            fraction = Double(digits) / Double(scale)
        }
        guard k < n else { return nil }
        var offset = 0
        switch at(k) {
        case 90, 122: k += 1                                             // Z, z
        case 43, 45:                                                      // +HH:MM, -HH:MM
            guard k + 6 == n, at(k + 3) == 58, let oh = num(k + 1, 2), let om = num(k + 4, 2), oh < 24, om < 60 else {
                return nil
            }
            offset = (oh * 60 + om) * 60 * (at(k) == 45 ? -1 : 1)
            k += 6
        default: return nil
        }
        guard k == n else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
