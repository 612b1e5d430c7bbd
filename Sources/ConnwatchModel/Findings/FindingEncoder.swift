import Foundation

/// Turns findings into bytes for an output.
package protocol FindingEncoder {
    func encode(_ finding: Finding, into out: inout [UInt8])
}

/// One JSON object per line, keys in schema order (docs/findings.md, schema/finding.schema.json).
package struct JSONLinesEncoder: FindingEncoder {
    package var lang: Language
    package init(lang: Language) { self.lang = lang }

    package func encode(_ f: Finding, into out: inout [UInt8]) {
        // Move the buffer into the writer and back: a copy would duplicate the whole queue per finding.
        var w = JSONWriter(out: [])
        swap(&w.out, &out)
        w.open()
        w.key(FindingField.schema); w.number(Finding.schemaVersion)
        if let time = f.time { w.key(FindingField.time); w.timestamp(time) }
        if let host = f.host { w.key(FindingField.host); w.string(host) }
        if let t = f.eventTime { w.key(FindingField.eventTime); w.timestamp(t) }
        if let h = f.sourceHost { w.key(FindingField.sourceHost); w.string(h) }
        w.key(FindingField.rule); w.string(f.rule)
        w.key(FindingField.kind); w.string(f.kind.rawValue)
        w.key(FindingField.app); if let app = f.app { w.string(app) } else { w.null() }
        if !f.candidates.isEmpty {
            w.key(FindingField.candidates); w.openArray()
            for c in f.candidates {
                w.open()
                w.key("app"); w.string(c.app)
                w.key("app_name"); w.string(c.appName)
                w.key("severity"); w.string(c.severity.rawValue)
                w.key("title"); w.string(c.title[lang])
                w.key("remediation"); w.string(c.remediation[lang])
                w.close()
            }
            w.closeArray()
        }
        w.key(FindingField.severity); w.string(f.severity.rawValue)
        w.key(FindingField.title); w.string(f.title[lang])
        if let codeName = f.codeName { w.key(FindingField.codeName); w.string(codeName) }
        if let category = f.category { w.key(FindingField.category); w.string(category.rawValue) }
        for field in f.fields {
            w.key(field.name)
            if field.name == "http_status", let n = Int(field.value) { w.number(n) } else { w.string(field.value) }
        }
        w.key(FindingField.remediation); w.string(f.remediation[lang])
        if let reference = f.reference { w.key(FindingField.reference); w.string(reference) }
        if !f.related.isEmpty {
            w.key(FindingField.related); w.openArray()
            for r in f.related {
                w.open()
                w.key("rule"); w.string(r.rule)
                if let code = r.code { w.key("code"); w.string(code) }
                if let name = r.codeName { w.key("code_name"); w.string(name) }
                w.key("severity"); w.string(r.severity.rawValue)
                w.key("title"); w.string(r.title[lang])
                if let reference = r.reference { w.key("reference"); w.string(reference) }
                w.close()
            }
            w.closeArray()
        }
        w.key(FindingField.origin); w.open()
        let o = f.origin
        if let v = o.input { w.key(OriginField.input); w.string(v) }
        if let v = o.path { w.key(OriginField.path); w.string(v) }
        if let v = o.inode { w.key(OriginField.inode); w.number(v) }
        if let v = o.offset { w.key(OriginField.offset); w.number(v) }
        if let v = o.cursor { w.key(OriginField.cursor); w.string(v) }
        if let v = o.unit { w.key(OriginField.unit); w.string(v) }
        if let v = o.identifier { w.key(OriginField.identifier); w.string(v) }
        if let v = o.pid { w.key(OriginField.pid); w.string(v) }
        if let v = o.hostname { w.key(OriginField.hostname); w.string(v) }
        if let v = o.realtimeMicros { w.key(OriginField.realtimeMicros); w.number(v) }
        w.close()
        w.key(FindingField.line); w.string(f.line)
        if f.truncated { w.key(FindingField.truncated); w.bool(true) }
        if f.capped { w.key(FindingField.capped); w.bool(true) }
        if let e = f.event {
            w.key(FindingField.event); w.open()
            w.key("lines"); w.openArray()
            for l in e.lines { w.string(l) }
            w.closeArray()
            if let cut = e.cut { w.key("cut"); w.string(cut.rawValue) }
            w.close()
        }
        w.key(FindingField.count); w.number(f.count)
        if let t = f.throttle {
            w.key(FindingField.throttle); w.open()
            w.key("window_start"); w.timestamp(t.start)
            w.key("window_end"); w.timestamp(t.end)
            w.key("first_seen"); w.timestamp(t.firstSeen)
            w.key("last_seen"); w.timestamp(t.lastSeen)
            w.close()
        }
        w.key(FindingField.lang); w.string(lang.rawValue)
        w.close()
        w.out.append(0x0A)
        swap(&out, &w.out)
    }
}

/// Minimal streaming JSON writer: strings escaped per RFC 8259 (control characters, NUL included).
struct JSONWriter {
    var out: [UInt8]
    var needComma = false

    mutating func open() { comma(); out.append(UInt8(ascii: "{")); needComma = false }
    mutating func close() { out.append(UInt8(ascii: "}")); needComma = true }
    mutating func openArray() { out.append(UInt8(ascii: "[")); needComma = false }
    mutating func closeArray() { out.append(UInt8(ascii: "]")); needComma = true }
    mutating func comma() { if needComma { out.append(UInt8(ascii: ",")) } }
    /// Keys are the schema's names and PCRE2 group names (word characters only): nothing to escape, so their bytes
    /// are copied without the escape scan.
    mutating func key(_ k: String) {
        comma()
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: k.utf8)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
        needComma = false
    }
    mutating func key(_ k: FindingField) { key(k.rawValue) }
    mutating func key(_ k: OriginField) { key(k.rawValue) }
    mutating func null() { comma(); out.append(contentsOf: "null".utf8); needComma = true }
    mutating func bool(_ b: Bool) { comma(); out.append(contentsOf: (b ? "true" : "false").utf8); needComma = true }
    mutating func number<N: BinaryInteger>(_ n: N) {
        comma()
        // Digits by hand: String(n) allocates, and every finding has several numbers.
        if let v = Int64(exactly: n) {
            if v < 0 { out.append(UInt8(ascii: "-")) }
            var m = v.magnitude
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: room for UInt64.max's 20 digits
            withUnsafeMutableBytes(of: &digits) { d in
                var i = d.count
                repeat { i -= 1; d[i] = UInt8(48 + m % 10); m /= 10 } while m > 0
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[i...]))
            }
        } else {
            out.append(contentsOf: String(n).utf8)
        }
        needComma = true
    }
    mutating func string(_ s: String) { comma(); raw(s); needComma = true }
    /// A timestamp as a JSON string, written in place (`Timestamp.iso8601`'s text).
    mutating func timestamp(_ date: Date) {
        comma()
        out.append(UInt8(ascii: "\""))
        Timestamp.iso8601(date, into: &out)
        out.append(UInt8(ascii: "\""))
        needComma = true
    }

    /// Escapes per RFC 8259; runs of plain bytes are appended at once (this is the encoder's hot loop: 8 bytes
    /// are checked at a time, and most text of a finding needs no escape).
    mutating func raw(_ s: String) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            let n = bytes.count
            var start = 0, i = 0
            while i < n {
                if i + 8 <= n && !Self.mayNeedEscape(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                    continue
                }
                let b = base[i]
                if b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F {
                    if i > start { out.append(contentsOf: UnsafeBufferPointer(start: base + start, count: i - start)) }
                    escape(b)
                    start = i + 1
                }
                i += 1
            }
            if n > start { out.append(contentsOf: UnsafeBufferPointer(start: base + start, count: n - start)) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Whether any of the 8 bytes is a control character, a quote, a backslash or DEL (exact: the classic "has a byte less
    /// than n" and "has a zero byte" word tricks; Swift's SIMD comparisons compile to a loop over lanes here).
    @inline(__always)
    static func mayNeedEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        return (w &- ones &* 0x20) & ~w & highs != 0
            || hasZero(w ^ (ones &* 0x22)) || hasZero(w ^ (ones &* 0x5C)) || hasZero(w ^ (ones &* 0x7F))
    }

    mutating func escape(_ b: UInt8) {
        switch b {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: "\\u00".utf8)
            out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
        }
    }
}

package enum Timestamp {
    /// RFC 3339 UTC with milliseconds. Digits by hand: String(format:) costs more than the rest of a finding.
    package static func iso8601(_ date: Date) -> String {
        var b: [UInt8] = []
        b.reserveCapacity(24)
        iso8601(date, into: &b)
        return String(decoding: b, as: UTF8.self)
    }

    /// `iso8601(date)`'s 24 bytes appended to `out`.
    package static func iso8601(_ date: Date, into out: inout [UInt8]) {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        // Via whole microseconds: a parsed ",311" is stored as .31099999… and must not print as .310.
        let ms = min(999, Int(((date.timeIntervalSince1970 - Double(t)) * 1e6).rounded()) / 1000)
        var b: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &b) { b in
            func put(_ value: Int, _ at: Int, _ width: Int) {
                var v = value
                for i in stride(from: at + width - 1, through: at, by: -1) { b[i] = UInt8(48 + v % 10); v /= 10 }
            }
            put(Int(parts.tm_year) + 1900, 0, 4); b[4] = 45
            put(Int(parts.tm_mon) + 1, 5, 2); b[7] = 45
            put(Int(parts.tm_mday), 8, 2); b[10] = 84
            put(Int(parts.tm_hour), 11, 2); b[13] = 58
            put(Int(parts.tm_min), 14, 2); b[16] = 58
            put(Int(parts.tm_sec), 17, 2); b[19] = 46
            put(ms, 20, 3); b[23] = 90
            out.append(contentsOf: UnsafeRawBufferPointer(b))
        }
    }
}

/// Readable text for a terminal; ANSI colour only when asked for.
package struct TextEncoder: FindingEncoder {
    package var lang: Language
    package var color: Bool
    package init(lang: Language, color: Bool) { self.lang = lang; self.color = color }

    func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    func severityColor(_ s: Severity) -> String {
        switch s {
        case .critical: return "1;35"
        case .high: return "1;31"
        case .medium: return "1;33"
        case .low: return "1;36"
        case .info: return "1;37"
        }
    }

    package func encode(_ f: Finding, into out: inout [UInt8]) {
        var text = paint(f.severity.rawValue.uppercased(), severityColor(f.severity)) + "  " + paint(f.rule, "1")
        if let app = f.app { text += "  app=\(app)" }
        for field in f.fields { text += "  \(field.name)=" + VisibleText.escapingControls(field.value) }
        if let t = f.throttle {
            text += "  " + (lang == .ko ? "반복 \(f.count)회 더 (\(Timestamp.iso8601(t.start)) 이후)" : "repeated \(f.count) more times since \(Timestamp.iso8601(t.start))")
        } else if f.count > 1 { text += "  ×\(f.count)" }
        text += "\n  " + f.title[lang]
        if let codeName = f.codeName { text += " (\(codeName))" }
        text += "\n  " + paint(location(f.origin), "2") + "\n"
        text += "  " + paint("line:", "2") + " " + VisibleText.escapingControls(f.line) + (f.truncated ? " …[truncated]" : "") + "\n"
        if f.candidates.isEmpty {
            text += "  " + paint(lang == .ko ? "조치:" : "fix:", "32") + " " + f.remediation[lang] + "\n"
        } else {
            text += "  " + paint(lang == .ko ? "앱을 특정할 수 없습니다. 가능한 앱별 조치:" : "app unknown; possible apps and fixes:", "33") + "\n"
            for c in f.candidates {
                text += "    - \(c.appName) [\(c.severity.rawValue)]: \(c.title[lang]) — \(c.remediation[lang])\n"
            }
        }
        for r in f.related {
            text += "  " + paint(lang == .ko ? "관련:" : "related:", "2") + " AADSTS\(r.code ?? "?")"
                + (r.codeName.map { " \($0)" } ?? "") + " — \(r.title[lang])\n"
        }
        if let reference = f.reference { text += "  " + paint("see:", "2") + " \(reference)\n" }
        text += "\n"
        out.append(contentsOf: text.utf8)
    }

    func location(_ o: Origin) -> String {
        var s = o.path ?? o.unit ?? o.identifier ?? o.input ?? "?"
        if let offset = o.offset { s += " @\(offset)" }
        return VisibleText.escapingControls(s)
    }
}
