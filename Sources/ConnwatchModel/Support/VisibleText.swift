/// Log text and file names shown on a terminal or in connwatch's own log lines. Control characters are written
/// as escapes, so a hostile line cannot move the cursor, retitle or clear the terminal, hide text behind a
/// carriage return, reorder it with bidi overrides, or start a forged entry (a newline then `<0>`) in the
/// journal. The escapes are JSON's (`\n`, `\r`, `\u001b`), so a JSON line passed through stays valid JSON with the
/// same meaning (JSON output escapes C0 controls already; C1 controls and bidi characters it may carry raw).
package enum VisibleText {
    package static func escapingControls(_ s: String) -> String {
        // The common case is clean ASCII: one pass over the bytes, no copy.
        if !s.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 >= 0x7F }) { return s }
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for u in s.unicodeScalars {
            guard needsEscape(u) else { out.unicodeScalars.append(u); continue }
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out
    }

    /// C0 controls but the tab, DEL, C1 controls (0x9B is a one-byte CSI on some terminals), and the bidi
    /// embedding, override and isolate characters.
    static func needsEscape(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return (v < 0x20 && v != 0x09) || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v)
    }
}
