/// Removes credentials from a line before it leaves connwatch. It reads the line's structure in one forward pass
/// (key names, the syntax that delimits their values, authorization schemes, command-line flags, URLs, cookies,
/// PEM blocks, XML elements) and the shapes of well-known tokens wherever they stand: docs/findings.md,
/// "Redaction". Every step either moves forward or looks a bounded distance back, and a masked value is never
/// read twice, so the cost is linear in the line's length whatever the line holds.
package struct Redactor: Sendable {
    package static let mask = "[REDACTED]"

    package init() {}

    /// Byte ranges of `line` to replace by the mask: sorted, disjoint, not adjacent.
    package func spans(in line: UnsafeRawBufferPointer) -> [Range<Int>] { spans(in: line, lineStart: 0) }

    /// `lineStart`: where the line being redacted starts in `line` (after the line before it, read with it).
    func spans(in line: UnsafeRawBufferPointer, lineStart: Int) -> [Range<Int>] {
        guard let base = line.baseAddress, !line.isEmpty else { return [] }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var scan = RedactionScan(bytes, line.count)
        scan.redactedLineStart = lineStart
        scan.run()
        // Delimiters written as escapes (`\u0022password\u0022:\u0022…`, `%22password%22%3A%22…`, `&quot;…`,
        // `Bearer%20eyJ…`) hide a line's structure from the pass above: read the line once more with them decoded
        // and mask, in the line as it is, what that reading masks.
        if let decoded = DecodedDelimiters(bytes, line.count) {
            decoded.bytes.withUnsafeBufferPointer { d in
                var second = RedactionScan(d.baseAddress!, d.count)
                if lineStart > 0 { second.redactedLineStart = decoded.origin.firstIndex { $0 >= lineStart } ?? d.count }
                second.run()
                scan.spans += second.spans.map { decoded.origin[$0.lowerBound]..<decoded.origin[$0.upperBound] }
            }
        }
        return scan.finished()
    }

    /// The spans of `line` when `previous` is the line before it in the same source: a secret's name that ended
    /// that line (`- name: DB_PASSWORD`, `"client_secret":`, `password: |`, a folded `Authorization: Bearer`) makes
    /// the start of this line its value. The two are read as one text (as a multi-line event is), only when the
    /// line before ends that way (`leavesValueOpen`): most lines cost one look at the end of the line before.
    package func spans(in line: UnsafeRawBufferPointer, after previous: UnsafeRawBufferPointer?) -> [Range<Int>] {
        guard let previous, let from = Self.leavesValueOpen(previous) else { return spans(in: line) }
        var joined: [UInt8] = []
        joined.reserveCapacity(previous.count - from + 1 + line.count)
        joined.append(contentsOf: previous[from...])
        joined.append(0x0A)
        joined.append(contentsOf: line)
        let offset = previous.count - from + 1
        return joined.withUnsafeBytes { spans(in: $0, lineStart: offset) }.compactMap { r in
            r.upperBound <= offset ? nil : max(r.lowerBound - offset, 0)..<r.upperBound - offset
        }
    }

    /// At most this much of the line before is read with a line (a secret's name is near its end).
    static let previousLineBytes = 512

    /// Where to start reading `previous` (its last `previousLineBytes`) when it leaves a secret's value to the next
    /// line, or nil: it ends with `:`, `=`, `{`, a YAML block indicator (`|`, `>-`) or an authorization scheme, or
    /// it is a name of a name/value pair (`- name: X`, `"name": "X",`, `Key : Authorization`). Whether the name is
    /// a secret's is for the scan to say.
    static func leavesValueOpen(_ p: UnsafeRawBufferPointer) -> Int? {
        var e = p.count
        while e > 0 && (p[e - 1] == 0x20 || p[e - 1] == 0x09 || p[e - 1] == 0x0D) { e -= 1 }
        guard e > 0 else { return nil }
        let from = max(0, p.count - previousLineBytes)
        let last = p[e - 1]
        if ":={|>".utf8.contains(last) { return from }
        if (last == UInt8(ascii: "-") || last == UInt8(ascii: "+")) && e >= 2 && (p[e - 2] == UInt8(ascii: "|") || p[e - 2] == UInt8(ascii: ">")) {
            return from
        }
        // The last word is an authorization scheme: the credentials were folded onto the next line.
        var w = e
        while w > 0 && e - w < 24 && (isAlnum(p[w - 1]) || p[w - 1] == UInt8(ascii: "-")) { w -= 1 }
        if w < e, w == 0 || p[w - 1] == 0x20 || p[w - 1] == 0x09,
           RedactionScan.schemes.contains(where: { s in
               s.utf8CodeUnitCount == e - w && (0..<e - w).allSatisfy { p[w + $0] | 0x20 == s.utf8Start[$0] }
           }) {
            return from
        }
        // A name/value pair's name: indentation, `-`, `{`, `[`, a quote, then `name` or `key`, a quote, `:` or `=`.
        var s = 0
        while s < p.count && s < 32 && " \t-{[,\"'".utf8.contains(p[s]) { s += 1 }
        guard s + 4 < p.count else { return nil }
        let length = p[s] | 0x20 == UInt8(ascii: "n") && p[s + 1] | 0x20 == UInt8(ascii: "a") && p[s + 2] | 0x20 == UInt8(ascii: "m")
            && p[s + 3] | 0x20 == UInt8(ascii: "e") ? 4
            : p[s] | 0x20 == UInt8(ascii: "k") && p[s + 1] | 0x20 == UInt8(ascii: "e") && p[s + 2] | 0x20 == UInt8(ascii: "y") ? 3 : 0
        if length > 0 {
            var k = s + length
            if p[k] == UInt8(ascii: "\"") || p[k] == UInt8(ascii: "'") { k += 1 }
            while k < p.count && k - s < 16 && (p[k] == 0x20 || p[k] == 0x09) { k += 1 }
            if k < p.count && (p[k] == UInt8(ascii: ":") || p[k] == UInt8(ascii: "=")) { return from }
        }
        return nil
    }

    package func redact(_ line: UnsafeRawBufferPointer) -> [UInt8] {
        Self.apply(spans(in: line), to: line, range: 0..<line.count)
    }

    package func redact(_ text: String) -> String {
        var text = text
        return text.withUTF8 { String(decoding: redact(UnsafeRawBufferPointer($0)), as: UTF8.self) }
    }

    /// The bytes of `range` of `line` with the parts that fall inside `spans` masked: a field extracted from a
    /// line is redacted by what surrounds it in the line, not judged alone.
    package static func apply(_ spans: [Range<Int>], to line: UnsafeRawBufferPointer, range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var copied = range.lowerBound
        for span in spans where span.upperBound > range.lowerBound {
            guard span.lowerBound < range.upperBound else { break }
            let start = max(span.lowerBound, range.lowerBound)
            if start > copied { out.append(contentsOf: line[copied..<start]) }
            out.append(contentsOf: mask.utf8)
            copied = min(span.upperBound, range.upperBound)
        }
        if copied < range.upperBound { out.append(contentsOf: line[copied..<range.upperBound]) }
        return out
    }

    package static func text(_ spans: [Range<Int>], of line: UnsafeRawBufferPointer, range: Range<Int>) -> String {
        String(decoding: apply(spans, to: line, range: range), as: UTF8.self)
    }
}
