/// A byte string that occurs in every match of a pattern. `caseless[i]` marks a byte matched without case
/// (ASCII letters only: PCRE2 runs without UTF and Vectorscan without HS_FLAG_UTF8, both fold ASCII only).
package struct RequiredLiteral: Hashable, Sendable, CustomStringConvertible {
    package var bytes: [UInt8]
    package var caseless: [Bool]

    init(_ bytes: [UInt8], _ caseless: [Bool]) { self.bytes = bytes; self.caseless = caseless }

    static let empty = RequiredLiteral([], [])

    static func + (a: RequiredLiteral, b: RequiredLiteral) -> RequiredLiteral {
        RequiredLiteral(a.bytes + b.bytes, a.caseless + b.caseless)
    }

    /// As `explain` shows it: the text, caseless parts in `(?i:…)`.
    package var description: String {
        var s = ""
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, caseless[j] == caseless[i] { j += 1 }
            let text = String(decoding: bytes[i..<j], as: UTF8.self)
            s += caseless[i] ? "(?i:\(text))" : text
            i = j
        }
        return s
    }

    /// The literal as a pattern both Vectorscan and PCRE2 read the same way: letters and digits as they are,
    /// every other byte as `\xHH` (no metacharacter, no encoding question).
    var expression: String {
        var s = ""
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, caseless[j] == caseless[i] { j += 1 }
            var part = ""
            for b in bytes[i..<j] {
                if isAlnum(b) { part.unicodeScalars.append(Unicode.Scalar(b)) } else { part += "\\x" + hex(b) }
            }
            s += caseless[i] ? "(?i:\(part))" : part
            i = j
        }
        return s
    }

    private func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
    }

    /// Whether the literal occurs in `line`; `caseless` folds every letter (a rule compiled caseless).
    package func occurs(in line: UnsafeRawBufferPointer, caseless allCaseless: Bool = false) -> Bool {
        guard bytes.count <= line.count else { return false }
        if bytes.isEmpty { return true }
        for start in 0...(line.count - bytes.count) {
            var k = 0
            while k < bytes.count {
                let a = line[start + k], b = bytes[k]
                if a != b && !((allCaseless || caseless[k]) && RequiredLiterals.lower(a) == RequiredLiterals.lower(b)) { break }
                k += 1
            }
            if k == bytes.count { return true }
        }
        return false
    }
}

/// Derives from a PCRE pattern a set of literals one of which occurs in every match (ripgrep's "inner
/// literals"), reusing PrefilterReducer's parser. Vectorscan compiles such a set in a fraction of the time the
/// regex takes, and PCRE2 confirms every hit anyway. Anything not understood (`\Q`, backreferences in a
/// required place, recursion, verbs, `(?x)`, conditionals) gives nil: the pattern keeps its regex form.
///
/// A literal counts only where nothing after it up to the match's end can match a newline, so its hit lies on
/// the match's last line, the line the scanner assigns a hit to (multi-line events keep their line).
package enum RequiredLiterals {
    /// Larger sets are not built (cross products of alternations grow fast, and many literals filter little).
    static let maxSetSize = 64
    /// A strong literal: at least this many bytes…
    static let minimumStrongLength = 8
    /// …and this many letters (a run of digits and punctuation is everywhere in logs).
    static let minimumStrongLetters = 4

    /// Literals are cut to this many bytes (a prefix of a required literal is required too): Vectorscan's
    /// literal matchers look at a few bytes anyway, and long literals made its compile four times slower
    /// (measured: 104 literal expressions, 102 ms whole, 11 ms cut to 16 bytes).
    static let maximumLength = 16

    /// The set Vectorscan should compile instead of the pattern's regex form: every literal strong, else nil.
    package static func strongSet(of pattern: String) -> [RequiredLiteral]? {
        let p = Array(pattern.utf8)
        guard let info = alternation(p, 0..<p.count, Mode()), let found = best(info.required, info.exact) else { return nil }
        let set = Set(found.map(cut))
        // A host name is judged whole (cut, `graph.microsoft.com` would lose what shows it is one).
        guard isStrong(set), !found.contains(where: { looksLikeHost($0.bytes) }) else { return nil }
        return set.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    /// The literal's most distinctive `maximumLength` bytes (any part of a required literal is required),
    /// not cut inside a UTF-8 character.
    static func cut(_ literal: RequiredLiteral) -> RequiredLiteral {
        guard literal.bytes.count > maximumLength else { return literal }
        let b = literal.bytes
        // The start when it is strong: literals of one set then often share it and merge.
        var prefixEnd = maximumLength
        while prefixEnd > 0, b[prefixEnd] & 0xC0 == 0x80 { prefixEnd -= 1 }
        let prefix = RequiredLiteral(Array(b[..<prefixEnd]), Array(literal.caseless[..<prefixEnd]))
        if isStrong(prefix) { return prefix }
        var best: (score: Double, range: Range<Int>) = (-1, 0..<0)
        for start in 0...(b.count - maximumLength) where b[start] & 0xC0 != 0x80 {
            var end = start + maximumLength
            while end < b.count, end > start, b[end] & 0xC0 == 0x80 { end -= 1 }
            let window = RequiredLiteral(Array(b[start..<end]), Array(literal.caseless[start..<end]))
            let value = score(window)
            if value > best.score { best = (value, start..<end) }
        }
        return RequiredLiteral(Array(b[best.range]), Array(literal.caseless[best.range]))
    }

    /// The best required set whatever its strength, cut, nil when none is known: for the app detectors'
    /// databases. They scan only a line that already hit a rule, so a weak literal costs at most a PCRE2 call
    /// on that line, and a literal database compiles in a fraction of a regex one's time.
    package static func anySet(of pattern: String) -> [RequiredLiteral]? {
        guard let found = requiredSet(of: pattern) else { return nil }
        return Set(found.map(cut)).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    /// The best required set whatever its strength, nil when none is known (tests; not cut).
    static func requiredSet(of pattern: String) -> Set<RequiredLiteral>? {
        let p = Array(pattern.utf8)
        guard let info = alternation(p, 0..<p.count, Mode()) else { return nil }
        return best(info.required, info.exact)
    }

    /// The Vectorscan expression for a set: one alternation, so that the pattern keeps one expression id.
    package static func expression(_ set: [RequiredLiteral]) -> String {
        set.count == 1 ? set[0].expression : "(?:" + set.map(\.expression).joined(separator: "|") + ")"
    }

    /// `anyLine`: a literal counts wherever it lies, line ends after it or not (does a piece hold a literal
    /// at all: PrefilterReducer's line gaps).
    struct Mode { var caseless = false; var dotAll = false; var anyLine = false }

    /// What a piece of pattern is known to match: `exact` every string it can match (nil: unknown or too
    /// many), `required` literals one of which is in every match with no newline after it up to the piece's
    /// end, `newline` whether it can match a newline, `zeroWidth` for assertions.
    struct Info {
        var exact: Set<RequiredLiteral>?
        var required: Set<RequiredLiteral>?
        var newline: Bool
        var zeroWidth = false
        var mode: Mode? = nil // an option setting such as (?i): the mode for what follows
    }

    static func alternation(_ p: [UInt8], _ r: Range<Int>, _ mode: Mode) -> Info? {
        guard let branches = PrefilterReducer.splitBranches(p, r) else { return nil }
        if branches.count == 1 { return sequence(p, r, mode) }
        var infos: [Info] = []
        for b in branches {
            guard let info = sequence(p, b, mode, inBranch: true) else { return nil }
            infos.append(info)
        }
        var exact: Set<RequiredLiteral>? = []
        var required: Set<RequiredLiteral>? = []
        for info in infos {
            exact = exact.flatMap { e in info.exact.map { e.union($0) } }
            required = required.flatMap { q in best(info.required, info.exact).map { q.union($0) } }
        }
        if let e = exact, e.count > maxSetSize { exact = nil }
        if let q = required, q.count > maxSetSize { required = nil }
        return Info(exact: exact, required: required, newline: infos.contains { $0.newline })
    }

    static func sequence(_ p: [UInt8], _ r: Range<Int>, _ start: Mode, inBranch: Bool = false) -> Info? {
        guard let atoms = PrefilterReducer.parseSequence(p, r.lowerBound, r.upperBound) else { return nil }
        var mode = start
        var infos: [Info] = []
        for a in atoms {
            guard var info = atom(p, a, mode) else { return nil }
            if let changed = info.mode {
                // PCRE2 carries an option set inside one branch into the next ones: not modelled.
                if inBranch { return nil }
                mode = changed
            }
            if a.quantifier != nil && !info.zeroWidth { info = repeated(info, a.minimum, a.maximum) }
            infos.append(info)
        }
        // suffixFree[i]: atoms i… cannot match a newline.
        var suffixFree = [Bool](repeating: true, count: infos.count + 1)
        for i in infos.indices.reversed() { suffixFree[i] = suffixFree[i + 1] && (start.anyLine || !infos[i].newline) }

        var candidate: Set<RequiredLiteral>? = nil
        func consider(_ set: Set<RequiredLiteral>?) { candidate = best(candidate, set) }
        // The current run of exact atoms as an array: a plain byte is appended in place (building a set per
        // byte cost a hash of the whole literal each time, most of a cached start).
        var run: [RequiredLiteral] = [.empty]
        var split = false // the run restarted or met an inexact atom: the sequence has no exact set
        for (i, info) in infos.enumerated() {
            if info.zeroWidth { continue }
            if suffixFree[i + 1] { consider(info.required) }
            guard let exact = info.exact else {
                if suffixFree[i] { consider(Set(run)) }
                run = [.empty]
                split = true
                continue
            }
            if exact.count == 1, let only = exact.first {
                for k in run.indices {
                    run[k].bytes += only.bytes
                    run[k].caseless += only.caseless
                }
            } else if run.count * exact.count <= maxSetSize {
                run = run.flatMap { x in exact.map { x + $0 } }
            } else {
                if suffixFree[i] { consider(Set(run)) }
                run = Array(exact)
                split = true
            }
        }
        let last = Set(run)
        consider(last)
        return Info(exact: split ? nil : last, required: candidate, newline: infos.contains { $0.newline })
    }

    static func product(_ a: Set<RequiredLiteral>, _ b: Set<RequiredLiteral>) -> Set<RequiredLiteral>? {
        guard a.count * b.count <= maxSetSize else { return nil }
        var out = Set<RequiredLiteral>()
        for x in a { for y in b { out.insert(x + y) } }
        return out
    }

    static func repeated(_ info: Info, _ minimum: Int, _ maximum: Int?) -> Info {
        if minimum == 0 { return Info(exact: nil, required: nil, newline: info.newline) }
        var exact: Set<RequiredLiteral>? = nil
        if minimum == maximum, minimum <= 3, let e = info.exact {
            exact = e
            for _ in 1..<minimum { exact = exact.flatMap { product($0, e) } }
        }
        // The last repetition holds a required literal with a newline-free rest (as the piece itself does).
        return Info(exact: exact, required: best(info.required, info.exact), newline: info.newline)
    }

    static func atom(_ p: [UInt8], _ a: PrefilterReducer.Atom, _ mode: Mode) -> Info? {
        let c = p[a.range.lowerBound]
        if a.lookaround { return Info(exact: nil, required: nil, newline: false, zeroWidth: true) }
        switch c {
        case UInt8(ascii: "\\"): return escape(p, a.range, mode)
        case UInt8(ascii: "["): return characterClass(p, a.range, mode)
        case UInt8(ascii: "("):
            if a.range.count > 1, p[a.range.lowerBound + 1] == UInt8(ascii: "*") { return nil } // (*VERB)
            if let body = a.groupBody {
                guard let inner = groupMode(p, a.range.lowerBound, body.lowerBound, mode) else { return nil }
                return alternation(p, body, inner)
            }
            return optionSetting(p, a.range, mode)
        case UInt8(ascii: "."):
            return Info(exact: nil, required: nil, newline: mode.dotAll)
        case UInt8(ascii: "^"), UInt8(ascii: "$"):
            return Info(exact: nil, required: nil, newline: false, zeroWidth: true)
        case UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"):
            return nil // a stray metacharacter: not understood
        default:
            return byte(c, mode)
        }
    }

    static func byte(_ c: UInt8, _ mode: Mode) -> Info {
        if c == 0x0A { return Info(exact: nil, required: nil, newline: true) }
        let folded = mode.caseless && isLetter(c)
        return Info(exact: [RequiredLiteral([folded ? lower(c) : c], [folded])], required: nil, newline: false)
    }

    /// The mode inside `(?flags:…)`; other group openings keep the outer mode. nil for unknown flags.
    static func groupMode(_ p: [UInt8], _ open: Int, _ bodyStart: Int, _ mode: Mode) -> Mode? {
        guard p[open + 1] == UInt8(ascii: "?") else { return mode }
        let kind = p[open + 2]
        if "<P':>|".utf8.contains(kind) { return mode }
        return flags(p, (open + 2)..<(bodyStart - 1), mode)
    }

    static func optionSetting(_ p: [UInt8], _ r: Range<Int>, _ mode: Mode) -> Info? {
        guard r.count >= 3, p[r.lowerBound + 1] == UInt8(ascii: "?") else { return nil }
        if p[r.lowerBound + 2] == UInt8(ascii: "#") { return Info(exact: nil, required: nil, newline: false, zeroWidth: true) }
        guard let changed = flags(p, (r.lowerBound + 2)..<(r.upperBound - 1), mode) else { return nil }
        return Info(exact: nil, required: nil, newline: false, zeroWidth: true, mode: changed)
    }

    /// `i`, `s` and harmless flags (m, n, U, J) on or off after `-`; anything else (x, ^, digits) → nil.
    static func flags(_ p: [UInt8], _ r: Range<Int>, _ mode: Mode) -> Mode? {
        var m = mode
        var on = true
        for c in p[r] {
            switch c {
            case UInt8(ascii: "-"): on = false
            case UInt8(ascii: "i"): m.caseless = on
            case UInt8(ascii: "s"): m.dotAll = on
            case UInt8(ascii: "m"), UInt8(ascii: "n"), UInt8(ascii: "U"), UInt8(ascii: "J"): break
            default: return nil
            }
        }
        return m
    }

    static func escape(_ p: [UInt8], _ r: Range<Int>, _ mode: Mode) -> Info? {
        let c = p[r.lowerBound + 1]
        let none = { (newline: Bool) in Info(exact: nil, required: nil, newline: newline) }
        switch c {
        case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "A"), UInt8(ascii: "z"), UInt8(ascii: "Z"),
             UInt8(ascii: "G"), UInt8(ascii: "K"):
            return Info(exact: nil, required: nil, newline: false, zeroWidth: true)
        case UInt8(ascii: "d"), UInt8(ascii: "w"), UInt8(ascii: "S"), UInt8(ascii: "h"), UInt8(ascii: "V"):
            return none(false)
        case UInt8(ascii: "N"):
            return r.count == 2 ? none(false) : nil // \N{U+…} needs UTF
        case UInt8(ascii: "D"), UInt8(ascii: "W"), UInt8(ascii: "s"), UInt8(ascii: "H"), UInt8(ascii: "v"),
             UInt8(ascii: "R"), UInt8(ascii: "X"), UInt8(ascii: "C"), UInt8(ascii: "p"), UInt8(ascii: "P"):
            return none(true)
        case UInt8(ascii: "n"): return none(true)
        case UInt8(ascii: "t"): return byte(0x09, mode)
        case UInt8(ascii: "r"): return byte(0x0D, mode)
        case UInt8(ascii: "f"): return byte(0x0C, mode)
        case UInt8(ascii: "e"): return byte(0x1B, mode)
        case UInt8(ascii: "a"): return byte(0x07, mode)
        case UInt8(ascii: "x"):
            var digits = Array(p[(r.lowerBound + 2)..<r.upperBound])
            if digits.first == UInt8(ascii: "{") { digits = Array(digits.dropFirst().dropLast()) }
            guard digits.count <= 2, let v = digits.isEmpty ? 0 : Int(String(decoding: digits, as: UTF8.self), radix: 16) else { return nil }
            return byte(UInt8(v), mode)
        case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "g"), UInt8(ascii: "k"):
            return none(true) // a backreference: unknown text
        default:
            // Escaped punctuation is the character itself; other letters and digits (\Q, \E, \c, \0, \o, \u …)
            // are not understood.
            guard r.count == 2, !isAlnum(c), c < 0x80 else { return nil }
            return byte(c, mode)
        }
    }

    /// A class of at most four plain characters (`[Tt]`, `["']`) is exact; others only tell whether a
    /// newline can match.
    static func characterClass(_ p: [UInt8], _ r: Range<Int>, _ mode: Mode) -> Info? {
        var i = r.lowerBound + 1
        let end = r.upperBound - 1 // the closing ]
        let negated = p[i] == UInt8(ascii: "^")
        if negated { i += 1 }
        var members: Set<UInt8> = []
        var plain = true
        var newline = false
        while i < end {
            var c = p[i]
            if c == UInt8(ascii: "[") && i + 1 < end && p[i + 1] == UInt8(ascii: ":") {
                var k = i + 2
                while k + 1 < end, !(p[k] == UInt8(ascii: ":") && p[k + 1] == UInt8(ascii: "]")) { k += 1 }
                let name = String(decoding: p[(i + 2)..<k], as: UTF8.self)
                if !["alpha", "digit", "alnum", "upper", "lower", "xdigit", "punct", "word", "graph", "print"].contains(name.replacingOccurrences(of: "^", with: "")) || name.hasPrefix("^") {
                    newline = true
                }
                plain = false
                i = k + 2
                continue
            }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < end else { return nil }
                let e = p[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): c = 0x0A
                case UInt8(ascii: "t"): c = 0x09
                case UInt8(ascii: "r"): c = 0x0D
                case UInt8(ascii: "d"), UInt8(ascii: "w"), UInt8(ascii: "S"), UInt8(ascii: "h"), UInt8(ascii: "V"):
                    plain = false; continue
                case _ where isAlnum(e) || e >= 0x80:
                    // \s, \W, \D, \H, \v, \x0a, \p{…}: may be a newline, or not understood
                    plain = false; newline = true; continue
                default: c = e
                }
            } else {
                i += 1
            }
            // A range c-d (a trailing or leading - is literal).
            if i + 1 < end, p[i] == UInt8(ascii: "-") {
                var hi = p[i + 1]
                var next = i + 2
                if hi == UInt8(ascii: "\\") {
                    guard i + 2 < end else { return nil }
                    let e = p[i + 2]
                    guard !isAlnum(e) || e == UInt8(ascii: "n") else { plain = false; newline = true; i = i + 3; continue }
                    hi = e == UInt8(ascii: "n") ? 0x0A : e
                    next = i + 3
                }
                if c <= 0x0A && 0x0A <= hi { newline = true }
                plain = false
                i = next
                continue
            }
            if c == 0x0A { newline = true }
            members.insert(mode.caseless && isLetter(c) ? lower(c) : c)
        }
        if negated { return Info(exact: nil, required: nil, newline: !members.contains(0x0A)) }
        guard plain, !newline, !members.isEmpty else { return Info(exact: nil, required: nil, newline: newline) }
        // [Tt] is one caseless letter.
        if members.count == 2, let a = members.first, isLetter(a), members.contains(upper(a)) && members.contains(lower(a)) {
            return Info(exact: [RequiredLiteral([lower(a)], [true])], required: nil, newline: false)
        }
        guard members.count <= 4 else { return Info(exact: nil, required: nil, newline: false) }
        return Info(exact: Set(members.map { RequiredLiteral([$0], [mode.caseless && isLetter($0)]) }), required: nil, newline: false)
    }

    // MARK: choosing

    /// How much a literal narrows: letters that are rare in log text count fully, common ones less.
    static func score(_ literal: RequiredLiteral) -> Double {
        literal.bytes.reduce(0) { $0 + byteScore[Int($1)] }
    }

    /// Per byte: common letters, digits and punctuation 0.3, a byte of a multi-byte character (a third of
    /// one) 0.4, others 1.
    static let byteScore: [Double] = (0...255).map { b in
        if b >= 0x80 { return 0.4 }
        return " etaoinsrhldcu0123456789:-_./,='\"[]()".utf8.contains(lower(UInt8(b))) ? 0.3 : 1.0
    }

    static func score(_ set: Set<RequiredLiteral>) -> Double {
        (set.map(score).min() ?? 0) - 0.5 * Double(Int.bitWidth - set.count.leadingZeroBitCount)
    }

    static func isStrong(_ literal: RequiredLiteral) -> Bool {
        literal.bytes.count >= minimumStrongLength
            && literal.bytes.filter { isLetter($0) || $0 >= 0x80 }.count >= minimumStrongLetters
            && !looksLikeHost(literal.bytes)
    }

    static func isStrong(_ set: Set<RequiredLiteral>) -> Bool { !set.isEmpty && set.allSatisfy(isStrong) }

    /// A host name or URL part (`graph.microsoft.com`, `https://`): such names are on most lines of the
    /// logs that talk to them, whatever the error.
    static func looksLikeHost(_ b: [UInt8]) -> Bool {
        let text = b.map(lower)
        if contains(text, Array("://".utf8)) || contains(text, Array("www.".utf8)) { return true }
        for (i, c) in text.enumerated() where c == UInt8(ascii: ".") && i > 0 && isAlnum(text[i - 1]) {
            var j = i + 1
            while j < text.count, isLetter(text[j]) { j += 1 }
            if j < text.count, isAlnum(text[j]) { continue }
            if topLevelDomains.contains(Array(text[(i + 1)..<j])) { return true }
        }
        return false
    }

    static let topLevelDomains: Set<[UInt8]> = Set(["com", "net", "org", "us", "cn", "io", "gov", "de", "fr", "jp", "kr", "uk", "ms"].map { Array($0.utf8) })

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// The better of two sets: a strong one over a weak one, then the higher score.
    static func best(_ a: Set<RequiredLiteral>?, _ b: Set<RequiredLiteral>?) -> Set<RequiredLiteral>? {
        guard let a, !a.isEmpty, !a.contains(.empty) else { return b.flatMap { $0.isEmpty || $0.contains(.empty) ? nil : $0 } }
        guard let b, !b.isEmpty, !b.contains(.empty) else { return a }
        let (sa, sb) = (isStrong(a), isStrong(b))
        if sa != sb { return sa ? a : b }
        return score(b) > score(a) ? b : a
    }

    static func lower(_ c: UInt8) -> UInt8 { isLetter(c) ? c | 0x20 : c }
    static func upper(_ c: UInt8) -> UInt8 { isLetter(c) ? c & ~0x20 : c }
}
