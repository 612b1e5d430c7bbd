import Foundation

/// The time and host a log line carries itself, read from the forms real logs use. Runs only for lines that
/// gave a finding, so it favours clarity over speed.
package enum LineStamp {
    /// The line's own timestamp: a leading RFC 3339 / ISO 8601 (with or without zone; `T` or space; `.` or `,`
    /// before the fraction, as log4j/logback write it), RFC 5424 or BSD syslog (`Mar 10 00:12:24`) timestamp,
    /// else MSAL's `Timestamp: …`, else a JSON `"@timestamp"`, `"timestamp"` or `"time"` value. A time without
    /// a zone is local time; a BSD timestamp (no year) gets the year that puts it closest before `now`
    /// (a December line read in January is last year's).
    package static func time(_ line: String, now: Date = Date(), timeZone: TimeZone = .current) -> Date? {
        let b = Array(line.utf8)
        var i = skipSyslogPriority(b)
        if i + 2 < b.count, b[i] == UInt8(ascii: "1"), b[i + 1] == 0x20, i > 0 { i += 2 } // RFC 5424 version
        if i < b.count, b[i] == UInt8(ascii: "[") { i += 1 }
        if let (date, _) = iso(b, at: i, timeZone: timeZone) { return date }
        if let (date, _) = bsd(b, at: i, now: now, timeZone: timeZone) { return date }
        for key in msalKeys {
            if let r = find(key, in: b), let (date, _) = iso(b, at: skipSpaces(b, r), timeZone: utc) {
                return date
            }
        }
        for key in jsonKeys {
            var from = 0
            while let r = find(key, in: b, from: from) {
                from = r
                var j = skipSpaces(b, r)
                guard j < b.count, b[j] == UInt8(ascii: ":") else { continue }
                j = skipSpaces(b, j + 1)
                guard j < b.count, b[j] == UInt8(ascii: "\"") else { continue }
                if let (date, _) = iso(b, at: j + 1, timeZone: timeZone) { return date }
            }
        }
        return nil
    }

    /// The first of `lines` that carries a time (an event: its first line usually, MSAL's `Timestamp:` line
    /// otherwise).
    package static func time(_ lines: [String], now: Date = Date(), timeZone: TimeZone = .current) -> Date? {
        for line in lines { if let t = time(line, now: now, timeZone: timeZone) { return t } }
        return nil
    }

    /// The host field of a syslog line: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP …`, `-` meaning none) or RFC 3164
    /// (`[<PRI>]Mmm dd hh:mm:ss HOST TAG: …`, also with an RFC 3339 timestamp as rsyslog writes files). A
    /// 3164-style host is taken only when a tag (`prog:` or `prog[pid]:`) follows it, so that the level of an
    /// application log (`2024-03-01 12:11:02,006 ERROR …`) is never taken for a host.
    package static func syslogHost(_ line: String) -> String? {
        let b = Array(line.utf8)
        let start = skipSyslogPriority(b)
        if start > 0, start + 2 < b.count, b[start] == UInt8(ascii: "1"), b[start + 1] == 0x20 {
            // RFC 5424: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME …
            let fields = b[(start + 2)...].split(separator: 0x20, maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3 else { return nil }
            let host = String(decoding: fields[1], as: UTF8.self)
            return host == "-" || host.isEmpty ? nil : host
        }
        var end: Int
        if let (_, e) = iso(b, at: start, timeZone: utc) { end = e }
        else if let (_, e) = bsd(b, at: start, now: Date(), timeZone: utc) { end = e }
        else { return nil }
        guard end < b.count, b[end] == 0x20 else { return nil }
        end += 1
        let rest = b[end...].split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
        guard rest.count >= 2, isHostName(rest[0]), isTag(rest[1]), !isLevel(rest[0]) else { return nil }
        return String(decoding: rest[0], as: UTF8.self)
    }

    /// Log levels as application logs print them after their timestamp: `2026-12-02T11:10:52Z ERROR msal: …` has a
    /// logger name where syslog has a tag, and its level is no host.
    static let levels: Set<String> = ["trace", "debug", "dbg", "fine", "finer", "finest", "verbose", "info", "inf",
                                      "information", "notice", "warn", "warning", "wrn", "error", "err", "eror",
                                      "severe", "fatal", "crit", "critical", "alert", "emerg", "panic"]

    static func isLevel(_ s: ArraySlice<UInt8>) -> Bool {
        s.count <= 11 && levels.contains(String(decoding: s, as: UTF8.self).lowercased())
    }

    /// Made once: TimeZone(identifier:) takes a lock and a cache lookup, and syslogHost asks per finding.
    static let utc = TimeZone(identifier: "UTC")!
    static let msalKeys = [Array("Timestamp:".utf8)]
    static let jsonKeys = [Array("\"@timestamp\"".utf8), Array("\"timestamp\"".utf8), Array("\"time\"".utf8)]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map { Array($0.utf8) }

    static func skipSyslogPriority(_ b: [UInt8]) -> Int {
        guard b.first == UInt8(ascii: "<") else { return 0 }
        var i = 1
        while i < b.count, i <= 4, isDigit(b[i]) { i += 1 }
        return i > 1 && i < b.count && b[i] == UInt8(ascii: ">") ? i + 1 : 0
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    static func skipSpaces(_ b: [UInt8], _ i: Int) -> Int {
        var i = i
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
        return i
    }

    /// Index just after the first occurrence of `needle` at or after `from`.
    static func find(_ needle: [UInt8], in b: [UInt8], from: Int = 0) -> Int? {
        guard needle.count <= b.count else { return nil }
        var i = from
        while i + needle.count <= b.count {
            if b[i] == needle[0] && b[i..<(i + needle.count)].elementsEqual(needle) { return i + needle.count }
            i += 1
        }
        return nil
    }

    static func number(_ b: [UInt8], _ at: Int, _ width: Int) -> Int? {
        guard at + width <= b.count else { return nil }
        var v = 0
        for k in at..<(at + width) {
            guard isDigit(b[k]) else { return nil }
            v = v * 10 + Int(b[k] - 48)
        }
        return v
    }

    /// `YYYY-MM-DD[T ]hh:mm:ss[(.|,)frac][Z|±hh:mm|±hhmm|±hh]` at `at`: the date and the index after it.
    static func iso(_ b: [UInt8], at: Int, timeZone: TimeZone) -> (Date, Int)? {
        guard let year = number(b, at, 4), at + 19 <= b.count, b[at + 4] == 45, let month = number(b, at + 5, 2),
              b[at + 7] == 45, let day = number(b, at + 8, 2), b[at + 10] == UInt8(ascii: "T") || b[at + 10] == 0x20
                || b[at + 10] == UInt8(ascii: "t"),
              let hour = number(b, at + 11, 2), b[at + 13] == 58, let minute = number(b, at + 14, 2), b[at + 16] == 58,
              let second = number(b, at + 17, 2) else { return nil }
        var i = at + 19
        var fraction = 0.0
        if i + 1 < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ","), isDigit(b[i + 1]) {
            var scale = 0.1
            i += 1
            while i < b.count, isDigit(b[i]) { fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
        }
        var offset: Int? = nil
        if i < b.count, b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            offset = 0; i += 1
        } else if i + 2 < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let h = number(b, i + 1, 2) {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            var m = 0
            var j = i + 3
            if j < b.count, b[j] == 58, let mm = number(b, j + 1, 2) { m = mm; j += 3 }
            else if let mm = number(b, j, 2) { m = mm; j += 2 }
            offset = sign * (h * 3600 + m * 60)
            i = j
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        guard let date = makeDate(year, month, day, hour, minute, min(second, 59), offset: offset, timeZone: timeZone) else { return nil }
        return (date.addingTimeInterval(fraction), i)
    }

    /// `Mmm dd hh:mm:ss` (day space-padded or not) at `at`, the year inferred from `now`.
    static func bsd(_ b: [UInt8], at: Int, now: Date, timeZone: TimeZone) -> (Date, Int)? {
        guard at + 15 <= b.count, let month = months.firstIndex(where: { b[at..<(at + 3)].elementsEqual($0) }),
              b[at + 3] == 0x20 else { return nil }
        var i = at + 4
        if b[i] == 0x20 { i += 1 }
        var day = 0
        while i < b.count, isDigit(b[i]), day < 100 { day = day * 10 + Int(b[i] - 48); i += 1 }
        guard i + 9 <= b.count, b[i] == 0x20, let hour = number(b, i + 1, 2), b[i + 3] == 58,
              let minute = number(b, i + 4, 2), b[i + 6] == 58, let second = number(b, i + 7, 2),
              (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let year = calendar.component(.year, from: now)
        // A log line is never from the future: one more than a day ahead of the scan means last year's line.
        for y in [year, year - 1] {
            guard let d = makeDate(y, month + 1, day, hour, minute, min(second, 59), offset: nil, timeZone: timeZone) else { continue }
            if d.timeIntervalSince(now) <= 86_400 { return (d, i + 9) }
        }
        return nil
    }

    static func makeDate(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, offset: Int?, timeZone: TimeZone) -> Date? {
        if let offset, abs(offset) <= 14 * 3600, y >= 1600 {
            // A stated offset needs no calendar (a flood of findings parsed two dates each through Calendar):
            // days since 1970 by Hinnant's days-from-civil, the Gregorian calendar Foundation uses after 1582.
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
            guard d <= (mo == 2 ? (leap ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]) else { return nil }
            let yy = mo <= 2 ? y - 1 : y
            let era = yy / 400, yoe = yy - era * 400
            let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
            let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
            return Date(timeIntervalSince1970: Double(days * 86_400 + h * 3600 + mi * 60 + s - offset))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = offset.flatMap { TimeZone(secondsFromGMT: $0) } ?? timeZone
        let c = DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
        guard let date = calendar.date(from: c), calendar.component(.day, from: date) == d else { return nil }
        return date
    }

    static func isHostName(_ s: ArraySlice<UInt8>) -> Bool {
        !s.isEmpty && s.count <= 255 && s.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c == 45 || c == 46 || c == 95 || c == 58
        } && s.last != 58
    }

    /// `prog:` or `prog[pid]:` (the TAG of RFC 3164).
    static func isTag(_ s: ArraySlice<UInt8>) -> Bool {
        guard s.count >= 2, s.last == 58 else { return false }
        let body = s.dropLast()
        if let open = body.firstIndex(of: UInt8(ascii: "[")) {
            guard body.last == UInt8(ascii: "]"), open > body.startIndex else { return false }
            return body[(open + 1)..<(body.endIndex - 1)].allSatisfy(isDigit)
        }
        return body.allSatisfy { $0 > 0x20 && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "\"") }
    }
}
