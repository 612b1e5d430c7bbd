/// Removes credentials from a line before it leaves connwatch. It reads the line's structure in one forward pass
/// (key names, the syntax that delimits their values, authorization schemes, command-line flags, URLs, cookies,
/// PEM blocks, XML elements) and the shapes of well-known tokens wherever they stand: docs/findings.md,
/// "Redaction". Every step either moves forward or looks a bounded distance back, and a masked value is never
/// read twice, so the cost is linear in the line's length whatever the line holds.
package struct Redactor: Sendable {
    package static let mask = "[REDACTED]"

    package init() {}

    /// Byte ranges of `line` to replace by the mask: sorted, disjoint, not adjacent.
    package func spans(in line: UnsafeRawBufferPointer) -> [Range<Int>] {
        guard let base = line.baseAddress, !line.isEmpty else { return [] }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var scan = RedactionScan(bytes, line.count)
        scan.run()
        // Delimiters written as escapes (`\u0022password\u0022:\u0022…`, `%22password%22%3A%22…`, `&quot;…`,
        // `Bearer%20eyJ…`) hide a line's structure from the pass above: read the line once more with them decoded
        // and mask, in the line as it is, what that reading masks.
        if let decoded = DecodedDelimiters(bytes, line.count) {
            decoded.bytes.withUnsafeBufferPointer { d in
                var second = RedactionScan(d.baseAddress!, d.count)
                second.run()
                scan.spans += second.spans.map { decoded.origin[$0.lowerBound]..<decoded.origin[$0.upperBound] }
            }
        }
        return scan.finished()
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
