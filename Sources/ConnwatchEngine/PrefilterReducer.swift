/// Rewrites a PCRE pattern into a cheaper one for Vectorscan that matches **at least** every line the
/// original matches (PCRE2 confirms each hit afterwards, so widening is safe, narrowing never is):
///
/// * optional atoms (`(…)?`, `x*`, `{0,n}`) and lookarounds at the very start or end are dropped: any
///   match of the whole contains a match of the rest;
/// * long bounded repeats (`.{0,600}`, `[^"]{3,400}`) become unbounded (`.*`, `[^"]{3,}`): large bounded
///   repeats are what make Vectorscan compile slowly, and lines contain no newline for `.` to cross.
///
/// * after a line gap (`[^\n]*`, `.*`), the atoms up to the next literal that hold no required literal
///   become what the gap cannot already match: nothing, or an optional line end and what may follow it
///   (see `absorbed`). Alternations of lookarounds and `\s*` there cost Vectorscan an NFA that runs over
///   every line after each gap start (measured: the two Graph URL-then-status patterns took a third of the
///   bare scan of the bench corpus and a third of the compile).
///
/// Rule authors may then write extraction-friendly patterns without paying for them in the hot loop.
/// A pattern the reducer does not understand is returned unchanged.
enum PrefilterReducer {
    /// Bounded repeats wider than this are widened.
    static let repeatSpan = 16

    /// `dropAllLookarounds`: also drop lookarounds inside the pattern (still a superset: an assertion only
    /// ever narrows); for engines without lookaround, such as ripgrep's default one.
    static func reduce(_ pattern: String, dropAllLookarounds: Bool = false) -> String {
        let bytes = Array(pattern.utf8)
        guard var atoms = parseSequence(bytes, 0, bytes.count), !atoms.isEmpty else { return pattern }
        while let first = atoms.first, first.droppable { atoms.removeFirst() }
        while let last = atoms.last, last.droppable { atoms.removeLast() }
        if atoms.isEmpty { return pattern }
        // Rendered as bytes: an atom may be one byte of a multi-byte UTF-8 character.
        let out = (dropAllLookarounds ? nil : absorbed(bytes, atoms)) ?? atoms.flatMap { render(bytes, $0, dropAllLookarounds) }
        return out.isEmpty ? pattern : String(decoding: out, as: UTF8.self)
    }

    struct Atom {
        var range: Range<Int>          // the atom without its quantifier
        var quantifier: Range<Int>?    // e.g. `{0,600}?`
        var minimum = 1
        var maximum: Int? = 1          // nil: unbounded
        var lookaround = false
        var optionSetting = false      // `(?i)`: changes what follows, never dropped
        var groupBody: Range<Int>?     // inside of a group whose body may be rewritten
        var wideningTarget = false     // `.`, a class or a class escape

        var droppable: Bool { lookaround || (minimum == 0 && !optionSetting) }
    }

    /// `lineTool`: for a line-oriented tool (ripgrep without -U), which refuses a newline in a pattern: an
    /// optional part that crosses a line end is dropped, so the form still matches whatever the pattern
    /// matches within a line (not a superset across lines).
    static func render(_ p: [UInt8], _ a: Atom, _ dropLookarounds: Bool, lineTool: Bool? = nil) -> [UInt8] {
        if dropLookarounds && a.lookaround { return [] }
        if lineTool ?? dropLookarounds, a.minimum == 0, containsNewline(p, a.range) { return [] }
        var atom: [UInt8]
        if let body = a.groupBody {
            // Keep the group's opening (`(?:`, `(?<name>`, `(`) and rewrite its inside.
            let inside = reduceInside(p, body, dropLookarounds, lineTool: lineTool)
            // A group of nothing but lookarounds now matches only the empty string: leave it out (ugrep refuses
            // the empty group `(?:)`, and an empty match repeated is still empty).
            if dropLookarounds && inside.isEmpty { return [] }
            atom = Array(p[a.range.lowerBound..<body.lowerBound]) + inside + [UInt8(ascii: ")")]
        } else {
            atom = Array(p[a.range])
        }
        guard let q = a.quantifier else { return atom }
        if a.wideningTarget, let max = a.maximum, max - a.minimum > repeatSpan {
            return atom + Array((a.minimum == 0 ? "*" : "{\(a.minimum),}").utf8)
        }
        return atom + p[q]
    }

    /// Inside a group only widening applies (dropping needs the group's own context).
    static func reduceInside(_ p: [UInt8], _ r: Range<Int>, _ dropLookarounds: Bool, lineTool: Bool? = nil) -> [UInt8] {
        guard let branches = splitBranches(p, r) else { return Array(p[r]) }
        var parts: [[UInt8]] = []
        for b in branches {
            guard let atoms = parseSequence(p, b.lowerBound, b.upperBound) else { return Array(p[r]) }
            parts.append(atoms.flatMap { render(p, $0, dropLookarounds, lineTool: lineTool) })
        }
        // A branch that was only lookarounds is now empty: `(?:|x)` means `(?:x)?`, which every engine takes
        // (ugrep refuses an empty branch).
        if dropLookarounds, parts.count > 1, parts.contains(where: \.isEmpty) {
            let rest = parts.filter { !$0.isEmpty }
            return rest.isEmpty ? [] : Array("(?:".utf8) + Array(rest.joined(separator: [UInt8(ascii: "|")])) + Array(")?".utf8)
        }
        return Array(parts.joined(separator: [UInt8(ascii: "|")]))
    }

    // MARK: line gaps

    /// The sequence rendered with the hard atoms after each line gap absorbed, or nil when nothing is absorbed.
    /// A gap `[^\n]{m,}` followed by atoms H whose matches hold no newline matches gap·H already; when H can
    /// cross a line end, gap·H lies within gap·(\n·R)? where R is what may follow H's first newline
    /// (`restAfterNewline`). Only runs that hold no required literal (on any line) and end before a literal atom are
    /// absorbed: a literal keeps the hit where the pattern's match ends and stays Vectorscan's anchor.
    static func absorbed(_ p: [UInt8], _ atoms: [Atom]) -> [UInt8]? {
        // With (?s) anywhere, `.` may cross a line end: not modelled.
        guard !hasDotAllOption(p) else { return nil }
        var out: [UInt8] = []
        var changed = false
        var i = 0
        while i < atoms.count {
            out += render(p, atoms[i], false)
            guard isLineGap(p, atoms[i]) else { i += 1; continue }
            var j = i + 1
            while j < atoms.count, !isLiteralAtom(p, atoms[j]) { j += 1 }
            guard j < atoms.count, j > i + 1 else { i += 1; continue }
            let run = Array(atoms[(i + 1)..<j])
            let runRange = run[0].range.lowerBound..<(run.last!.quantifier ?? run.last!.range).upperBound
            guard !run.contains(where: \.optionSetting),
                  let info = RequiredLiterals.sequence(p, runRange, .init(anyLine: true)),
                  RequiredLiterals.best(info.required, info.exact) == nil else { i += 1; continue }
            if info.newline {
                guard let rest = restAfterNewline(p, run) else { i += 1; continue }
                out += Array("(?:\\n".utf8) + rest + Array(")?".utf8)
            }
            changed = true
            i = j
        }
        return changed ? out : nil
    }

    /// `[^\n]` or `.` (no dotall), repeated without bound (or widened to that), not possessive.
    static func isLineGap(_ p: [UInt8], _ a: Atom) -> Bool {
        guard let q = a.quantifier, q.count == 1 || p[q.upperBound - 1] != UInt8(ascii: "+") else { return false }
        guard a.maximum.map({ $0 - a.minimum > repeatSpan }) ?? true else { return false }
        let atom = Array(p[a.range])
        return atom == Array("[^\\n]".utf8) || atom == [UInt8(ascii: ".")]
    }

    /// An atom Vectorscan can anchor on: exactly known strings, not optional.
    static func isLiteralAtom(_ p: [UInt8], _ a: Atom) -> Bool {
        guard !a.lookaround, !a.optionSetting, a.minimum >= 1, a.maximum == a.minimum,
              let info = RequiredLiterals.atom(p, a, .init()), !info.zeroWidth else { return false }
        return RequiredLiterals.repeated(info, a.minimum, a.maximum).exact != nil
    }

    /// Whether an option setting anywhere may turn on dotall (`(?s)`, `(?is:`…); conservative.
    static func hasDotAllOption(_ p: [UInt8]) -> Bool {
        var i = 0
        while i + 2 < p.count {
            if p[i] == UInt8(ascii: "\\") { i += 2; continue }
            if p[i] == UInt8(ascii: "("), p[i + 1] == UInt8(ascii: "?") {
                var j = i + 2
                while j < p.count, isLetter(p[j]) || p[j] == UInt8(ascii: "-") {
                    if p[j] == UInt8(ascii: "s") { return true }
                    j += 1
                }
            }
            i += 1
        }
        return false
    }

    /// A superset of what may follow the first newline of a match of the sequence `atoms` (assertions
    /// dropped); nil when not understood (backreferences, option settings, repeated groups).
    static func restAfterNewline(_ p: [UInt8], _ atoms: [Atom]) -> [UInt8]? {
        guard let branches = restBranches(p, atoms) else { return nil }
        return alternation(branches) ?? []
    }

    /// The alternatives of `restAfterNewline`: one per atom that can match a newline (and per branch of it).
    static func restBranches(_ p: [UInt8], _ atoms: [Atom]) -> [[UInt8]]? {
        var branches: [[UInt8]] = []
        for (i, a) in atoms.enumerated() {
            if a.optionSetting { return nil }
            guard let info = RequiredLiterals.atom(p, a, .init()) else { return nil }
            guard info.newline, !a.lookaround else { continue }
            guard let rests = restBranches(p, a) else { return nil }
            var suffix: [UInt8] = []
            for b in atoms[(i + 1)...] {
                if b.optionSetting { return nil }
                guard let next = RequiredLiterals.atom(p, b, .init()) else { return nil }
                if b.lookaround || next.zeroWidth { continue }
                suffix += render(p, b, true, lineTool: false)
            }
            branches += rests.map { $0 + suffix }
        }
        return branches
    }

    /// What may follow the first newline inside one atom's match.
    static func restBranches(_ p: [UInt8], _ a: Atom) -> [[UInt8]]? {
        guard let body = a.groupBody else {
            let atom = Array(p[a.range])
            // One byte per repetition (a class, `.`, a class escape or `\n`): the remaining repetitions.
            guard atom.first == UInt8(ascii: "[") || atom == [UInt8(ascii: ".")]
                    || (atom.count == 2 && "sSdDwWhHvVn".utf8.contains(atom[1])) else { return nil }
            return [a.maximum == 1 ? [] : atom + Array("*".utf8)]
        }
        guard a.maximum == 1, let branches = splitBranches(p, body) else { return nil }
        // A flag group (`(?i:`) keeps its flags for what follows; names and captures are not repeated.
        let opening = Array(p[a.range.lowerBound..<body.lowerBound])
        let flagged = opening.count > 3 && opening[1] == UInt8(ascii: "?") && (isLetter(opening[2]) || opening[2] == UInt8(ascii: "-"))
        var parts: [[UInt8]] = []
        for b in branches {
            guard let atoms = parseSequence(p, b.lowerBound, b.upperBound), let rests = restBranches(p, atoms) else { return nil }
            parts += rests.map { flagged && !$0.isEmpty ? opening + $0 + [UInt8(ascii: ")")] : $0 }
        }
        return parts
    }

    /// `(?:a|b)` for several branches (an empty one makes it optional), the branch itself for one, nil for none.
    static func alternation(_ branches: [[UInt8]]) -> [UInt8]? {
        let unique = branches.reduce(into: [[UInt8]]()) { if !$0.contains($1) { $0.append($1) } }
        guard !unique.isEmpty else { return nil }
        if unique.count == 1 { return unique[0] }
        let nonEmpty = unique.filter { !$0.isEmpty }
        let joined = Array("(?:".utf8) + Array(nonEmpty.joined(separator: [UInt8(ascii: "|")])) + Array(")".utf8)
        return nonEmpty.count < unique.count ? joined + [UInt8(ascii: "?")] : joined
    }

    /// Whether `p[r]` holds a `\n` escape outside a character class (a match that crosses a line end).
    static func containsNewline(_ p: [UInt8], _ r: Range<Int>) -> Bool {
        var i = r.lowerBound
        while i < r.upperBound {
            switch p[i] {
            case UInt8(ascii: "\\"):
                if i + 1 < r.upperBound, p[i + 1] == UInt8(ascii: "n") { return true }
                i += 2
            case UInt8(ascii: "["):
                i = classEnd(p, i, r.upperBound) ?? r.upperBound
            default:
                i += 1
            }
        }
        return false
    }

    /// Top-level `|` positions inside r; nil when the syntax is not understood.
    static func splitBranches(_ p: [UInt8], _ r: Range<Int>) -> [Range<Int>]? {
        var out: [Range<Int>] = []
        var start = r.lowerBound
        var i = r.lowerBound
        while i < r.upperBound {
            switch p[i] {
            case UInt8(ascii: "|"): out.append(start..<i); i += 1; start = i
            case UInt8(ascii: "\\"): guard let e = escapeEnd(p, i, r.upperBound) else { return nil }; i = e
            case UInt8(ascii: "["): guard let e = classEnd(p, i, r.upperBound) else { return nil }; i = e
            case UInt8(ascii: "("): guard let e = groupEnd(p, i, r.upperBound) else { return nil }; i = e
            default: i += 1
            }
        }
        out.append(start..<r.upperBound)
        return out
    }

    /// The atoms of a sequence without top-level alternation; nil when there is one or the syntax is odd.
    static func parseSequence(_ p: [UInt8], _ from: Int, _ to: Int) -> [Atom]? {
        var atoms: [Atom] = []
        var i = from
        while i < to {
            var atom = Atom(range: i..<i)
            switch p[i] {
            case UInt8(ascii: "|"):
                return nil
            case UInt8(ascii: "\\"):
                guard let e = escapeEnd(p, i, to) else { return nil }
                atom.range = i..<e
                if e - i == 2, "dDwWsShHvVN".utf8.contains(p[i + 1]) { atom.wideningTarget = true }
                if e - i == 2, "bBAzZG".utf8.contains(p[i + 1]) { atom.maximum = 1 } // assertions: keep
                if e - i >= 2, p[i + 1] == UInt8(ascii: "Q") { return nil }
            case UInt8(ascii: "["):
                guard let e = classEnd(p, i, to) else { return nil }
                atom.range = i..<e
                atom.wideningTarget = true
            case UInt8(ascii: "("):
                guard let e = groupEnd(p, i, to) else { return nil }
                atom.range = i..<e
                let head = Array(p[i..<min(e, i + 4)])
                if head.starts(with: Array("(?=".utf8)) || head.starts(with: Array("(?!".utf8))
                    || head.starts(with: Array("(?<=".utf8)) || head.starts(with: Array("(?<!".utf8)) {
                    atom.lookaround = true
                } else if let bodyStart = groupBodyStart(p, i, e) {
                    atom.groupBody = bodyStart..<(e - 1)
                } else {
                    atom.optionSetting = true // (?i), (?#…), verbs: leave alone, never drop
                }
            case UInt8(ascii: "."):
                atom.range = i..<(i + 1)
                atom.wideningTarget = true
            default:
                atom.range = i..<(i + 1)
            }
            i = atom.range.upperBound
            if let (q, min, max) = quantifier(p, i, to) {
                atom.quantifier = i..<q
                atom.minimum = min
                atom.maximum = max
                i = q
            }
            atoms.append(atom)
        }
        return atoms
    }

    /// Where a capturing or non-capturing group's body starts; nil for lookarounds and option settings.
    static func groupBodyStart(_ p: [UInt8], _ open: Int, _ end: Int) -> Int? {
        let next = open + 1
        guard next < end else { return nil }
        if p[next] != UInt8(ascii: "?") { return next == end - 1 ? nil : next } // plain (…)
        let kind = open + 2
        guard kind < end else { return nil }
        switch p[kind] {
        case UInt8(ascii: ":"), UInt8(ascii: ">"), UInt8(ascii: "|"):
            return kind + 1
        case UInt8(ascii: "<"), UInt8(ascii: "P"), UInt8(ascii: "'"):
            // (?<name>…), (?P<name>…), (?'name'…)
            var j = kind
            if p[j] == UInt8(ascii: "P") { j += 1 }
            guard j < end, p[j] == UInt8(ascii: "<") || p[j] == UInt8(ascii: "'") else { return nil }
            let close = p[j] == UInt8(ascii: "<") ? UInt8(ascii: ">") : UInt8(ascii: "'")
            while j < end && p[j] != close { j += 1 }
            return j < end - 1 ? j + 1 : nil
        default:
            // (?i:…) has a body; (?i) has none.
            var j = kind
            while j < end, p[j] != UInt8(ascii: ":"), p[j] != UInt8(ascii: ")") { j += 1 }
            return j < end - 1 && p[j] == UInt8(ascii: ":") ? j + 1 : nil
        }
    }

    static func escapeEnd(_ p: [UInt8], _ i: Int, _ to: Int) -> Int? {
        guard i + 1 < to else { return nil }
        let c = p[i + 1]
        var e = i + 2
        if "xopPgkN".utf8.contains(c), e < to, p[e] == UInt8(ascii: "{") || p[e] == UInt8(ascii: "<") || p[e] == UInt8(ascii: "'") {
            let close: UInt8 = p[e] == UInt8(ascii: "{") ? UInt8(ascii: "}") : p[e] == UInt8(ascii: "<") ? UInt8(ascii: ">") : UInt8(ascii: "'")
            while e < to && p[e] != close { e += 1 }
            return e < to ? e + 1 : nil
        }
        if c == UInt8(ascii: "x") {
            var n = 0
            while e < to, n < 2, isHex(p[e]) { e += 1; n += 1 }
        } else if c == UInt8(ascii: "c") {
            e = min(i + 3, to)
        } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
            while e < to, p[e] >= UInt8(ascii: "0"), p[e] <= UInt8(ascii: "9") { e += 1 }
        }
        return e
    }

    static func isHex(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
    }

    static func classEnd(_ p: [UInt8], _ i: Int, _ to: Int) -> Int? {
        var j = i + 1
        if j < to, p[j] == UInt8(ascii: "^") { j += 1 }
        if j < to, p[j] == UInt8(ascii: "]") { j += 1 } // a leading ] is literal
        while j < to {
            switch p[j] {
            case UInt8(ascii: "\\"): j += 2
            case UInt8(ascii: "["):
                if j + 1 < to, p[j + 1] == UInt8(ascii: ":") {
                    var k = j + 2
                    while k + 1 < to, !(p[k] == UInt8(ascii: ":") && p[k + 1] == UInt8(ascii: "]")) { k += 1 }
                    j = k + 2
                } else { j += 1 }
            case UInt8(ascii: "]"): return j + 1
            default: j += 1
            }
        }
        return nil
    }

    static func groupEnd(_ p: [UInt8], _ i: Int, _ to: Int) -> Int? {
        var depth = 0
        var j = i
        while j < to {
            switch p[j] {
            case UInt8(ascii: "\\"): guard let e = escapeEnd(p, j, to) else { return nil }; j = e; continue
            case UInt8(ascii: "["): guard let e = classEnd(p, j, to) else { return nil }; j = e; continue
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return j + 1 }
            default: break
            }
            j += 1
        }
        return nil
    }

    /// A quantifier at i: (end, minimum, maximum or nil for unbounded).
    static func quantifier(_ p: [UInt8], _ i: Int, _ to: Int) -> (Int, Int, Int?)? {
        guard i < to else { return nil }
        var e = i + 1
        var bounds: (Int, Int?)
        switch p[i] {
        case UInt8(ascii: "?"): bounds = (0, 1)
        case UInt8(ascii: "*"): bounds = (0, nil)
        case UInt8(ascii: "+"): bounds = (1, nil)
        case UInt8(ascii: "{"):
            var j = i + 1
            func number() -> Int? {
                let s = j
                while j < to, p[j] >= 48, p[j] <= 57 { j += 1 }
                return j > s ? Int(String(decoding: p[s..<j], as: UTF8.self)) : nil
            }
            guard let lo = number() else { return nil }
            var hi: Int? = lo
            if j < to, p[j] == UInt8(ascii: ",") { j += 1; hi = number() }
            guard j < to, p[j] == UInt8(ascii: "}") else { return nil }
            e = j + 1
            bounds = (lo, hi)
        default: return nil
        }
        if e < to, p[e] == UInt8(ascii: "?") || p[e] == UInt8(ascii: "+") { e += 1 }
        return (e, bounds.0, bounds.1)
    }
}
