import Foundation
import ConnwatchModel

/// How lines group into events (`multiline:` of an input, `scan --multiline`): built-in formats and/or
/// custom start/continuation patterns, bounded by a timeout, a line count and a byte size.
package struct Multiline: Sendable, Equatable {
    package enum Format: String, Sendable, CaseIterable, Comparable {
        case java, python, json, msal, powershell
        package static func < (a: Format, b: Format) -> Bool { a.rawValue < b.rawValue }
    }

    package var formats: Set<Format>
    /// A line matching this starts an event (with no `continuation`: every other line continues one).
    package var start: String?
    /// A line matching this (and not `start`) continues the event before it.
    package var continuation: String?
    /// An open event is handed over after this long without a new line (following inputs).
    package var timeout: Double = 3
    package var maxLines = 500
    package var maxBytes = 64 * 1024

    package init(formats: Set<Format> = Set(Format.allCases), start: String? = nil, continuation: String? = nil) {
        self.formats = formats
        self.start = start
        self.continuation = continuation
    }

    /// `auto` (every built-in format), one format, or several separated by commas (`java,msal`).
    package static func parse(_ mode: String) -> Multiline? {
        if mode == "auto" { return Multiline() }
        var formats = Set<Format>()
        for part in mode.split(separator: ",") {
            guard let f = Format(rawValue: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            formats.insert(f)
        }
        return formats.isEmpty ? nil : Multiline(formats: formats)
    }

    package static let modeHelp = "auto, " + Format.allCases.map(\.rawValue).joined(separator: ", ") + " (or several: java,msal)"

    /// Continuation lines of each built-in format. The subject is one line without its newline.
    static let continuations: [Format: [String]] = [
        // `\tat …` frames, `... 12 more`, `Caused by:`, `Suppressed:`, and the exception line itself when it
        // follows the log line that reported it (`java.lang.IllegalStateException: …`).
        .java: [#"^\s+at\s"#, #"^\s*\.\.\.\s*\d+\s+(?:more|common frames omitted)"#, #"^\s*Caused by:"#,
                #"^\s*Suppressed:"#, #"^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)\b(?::|\s*$)"#],
        .python: [#"^Traceback \(most recent call last\):"#, #"^[ \t]+\S"#, #"^\s*$"#,
                  #"^During handling of the above exception"#, #"^The above exception was the direct cause"#],
        .json: [#"^[ \t]+\S"#, #"^\s*[}\]]+[,;]?\s*$"#, #"^[{\[]\s*$"#],
        // MSAL's message tail, and azure-core's `Content: {…}` with the response body after it.
        .msal: [#"^\s*(?:Trace ID|Correlation ID|Timestamp):\s"#, #"^\s*$"#, #"^Content:\s"#],
        .powershell: [#"^\s*\|"#, #"^\s*\d+\s+\|"#, #"^Line\s+\|"#, #"^At (?:line:\d+ )?.*char:\d+"#, #"^\s*\+\s"#,
                      #"^\s*~+\s*$"#, #"^HTTP/\d(?:\.\d)? \d{3}"#, #"^\s*$"#,
                      #"^(?i:Cache-Control|Vary|Strict-Transport-Security|request-id|client-request-id|x-ms-[\w-]+|Date|Content-Type|Content-Encoding|Content-Length|Transfer-Encoding|WWW-Authenticate|Retry-After):\s"#],
    ]

    /// A response body after the blank line that ends Graph PowerShell's headers; only there, so that a JSON
    /// error logged on its own line is not glued to whatever line came before it.
    static let afterBlank: [Format: String] = [.powershell: #"^\s*\{\s*"error"\s*:"#]

    /// Python's last traceback line (`msal.exceptions.…Error: …`, `ValueError: …`) continues the event only
    /// right after an indented line (a frame or its source line).
    static let pythonExceptionLine = #"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Warning|Failure|Exit|Interrupt|Fault)(?::|\s*$)"#
}

/// The compiled form of `Multiline` for one task: decides whether a line continues the event before it, and
/// finds an event's bounds around a line. Not Sendable (PCRE2 match data): one per input.
///
/// Where an input may be cut (a chunk of a file scanned on its own, a buffer handed to `Scanner.scan`): only at
/// the start of a line that does *not* continue the line before it (`continues(_:previous:)` false), because
/// `Scanner` looks for an event's lines only inside the buffer it is given. `lastEventStart(_:count:)` is that
/// point for the bytes before an intended cut; nil there means the event already reached its bounds
/// (`maxLines`/`maxBytes`), and a cut anywhere is then what grouping itself would do (the rest is marked).
package final class EventBoundaries {
    package let settings: Multiline
    let continuation: PCRE2Pattern?
    let afterIndented: PCRE2Pattern?
    let afterBlank: PCRE2Pattern?
    let start: PCRE2Pattern?
    /// The custom pattern has only `start`: every other line continues.
    let startOnly: Bool
    let data = PCRE2MatchData(pairs: 4)
    /// Set by an input whose lines come from records (journal entries): true forces a continuation (the
    /// next line of one multi-line message), false forces a start (another unit or process); nil asks the
    /// patterns. The argument is the line's offset in the buffer being scanned.
    package var recordBoundary: ((Int) -> Bool?)?
    /// Set by an input for one `Scanner.scan` call: the buffer's first line continues an event that was handed
    /// over at the grouping timeout (the writer paused in the middle of it), so the event it begins is marked
    /// `cut: timeout`. The event handed over at the timeout is not marked: when it was handed over, nothing said it
    /// was incomplete (most events end that way).
    package var firstEventContinuesFlushed = false

    package init(_ settings: Multiline) throws(PatternError) {
        self.settings = settings
        var alternatives = settings.formats.sorted().flatMap { Multiline.continuations[$0] ?? [] }
        if let c = settings.continuation { alternatives.append(c) }
        var unique: [String] = []
        for a in alternatives where !unique.contains(a) { unique.append(a) }
        continuation = unique.isEmpty ? nil : try PCRE2Pattern(unique.map { "(?:\($0))" }.joined(separator: "|"))
        afterIndented = settings.formats.contains(.python) ? try PCRE2Pattern(Multiline.pythonExceptionLine) : nil
        let blank = settings.formats.sorted().compactMap { Multiline.afterBlank[$0] }
        afterBlank = blank.isEmpty ? nil : try PCRE2Pattern(blank.map { "(?:\($0))" }.joined(separator: "|"))
        start = try settings.start.map { pattern throws(PatternError) in try PCRE2Pattern(pattern) }
        startOnly = settings.start != nil && settings.continuation == nil && settings.formats.isEmpty
    }

    /// Whether `line` continues the event that `previous` (the line before it) belongs to.
    package func continues(_ line: UnsafeRawBufferPointer, previous: UnsafeRawBufferPointer) -> Bool {
        let line = Self.withoutCR(line)
        if let start, start.matches(line, data) { return false }
        if startOnly { return true }
        if let continuation, continuation.matches(line, data) { return true }
        if let afterIndented, let first = previous.first, first == 0x20 || first == 0x09, afterIndented.matches(line, data) {
            return true
        }
        if let afterBlank, previous.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }), afterBlank.matches(line, data) {
            return true
        }
        return false
    }

    static func withoutCR(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        line.last == 0x0D ? UnsafeRawBufferPointer(rebasing: line.dropLast()) : line
    }

    /// Whether the line at `lineStart` (ending at `lineEnd`, its newline or the end) continues the line
    /// starting at `previousStart`.
    func continues(_ base: UnsafePointer<UInt8>, lineStart: Int, lineEnd: Int, previousStart: Int) -> Bool {
        if let forced = recordBoundary?(lineStart) { return forced }
        return continues(UnsafeRawBufferPointer(start: base + lineStart, count: lineEnd - lineStart),
                         previous: UnsafeRawBufferPointer(start: base + previousStart, count: lineStart - 1 - previousStart))
    }

    /// The event around the line starting at `lineStart` in `base[0..<count]`, not reaching back before
    /// `floor`: its first byte, its end (the last line's newline or `count`) and whether a bound cut it.
    func event(around lineStart: Int, _ base: UnsafePointer<UInt8>, count: Int, floor: Int) -> (start: Int, end: Int, cut: EventCut?) {
        var start = lineStart
        var end = Scanner.lineEnd(base, from: lineStart, count: count)
        var lines = 1
        var cut: EventCut?
        // Back to the line that starts the event.
        while start > floor {
            let previous = Scanner.lineStart(base, before: start - 1)
            guard previous >= floor, continues(base, lineStart: start, lineEnd: Scanner.lineEnd(base, from: start, count: count),
                                               previousStart: previous) else { break }
            if let bound = exceeds(lines: lines + 1, bytes: end - previous) { cut = bound; break }
            start = previous
            lines += 1
        }
        // Forward through its continuation lines.
        var last = Scanner.lineStart(base, before: end)
        while end + 1 < count {
            let next = end + 1
            let nextEnd = Scanner.lineEnd(base, from: next, count: count)
            guard continues(base, lineStart: next, lineEnd: nextEnd, previousStart: last) else { break }
            if let bound = exceeds(lines: lines + 1, bytes: nextEnd - start) { cut = cut ?? bound; break }
            last = next
            end = nextEnd
            lines += 1
        }
        return (start, end, cut)
    }

    /// Whether the first line of `buffer` continues `tail`, the last line of an event handed over at the timeout
    /// (nil tail: nothing was). Records: a new record is never a continuation here (the journal compares keys).
    package func continuesFlushed(_ tail: [UInt8]?, _ buffer: UnsafeRawBufferPointer) -> Bool {
        guard let tail, let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), !buffer.isEmpty else { return false }
        let end = Scanner.lineEnd(base, from: 0, count: buffer.count)
        return tail.withUnsafeBytes { previous in
            continues(UnsafeRawBufferPointer(start: base, count: end), previous: previous)
        }
    }

    /// The last line of `buffer` (its newline, if any, left out), as kept after a timeout hand-over: at most
    /// 4 KiB of it (enough for the continuation patterns, which look at a line's start).
    package static func lastLine(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), !buffer.isEmpty else { return [] }
        let end = base[buffer.count - 1] == 0x0A ? buffer.count - 1 : buffer.count
        let start = Scanner.lineStart(base, before: end)
        return Array(UnsafeRawBufferPointer(start: base + start, count: min(end - start, 4096)))
    }

    func exceeds(lines: Int, bytes: Int) -> EventCut? {
        if lines > settings.maxLines { return .maxLines }
        if bytes > settings.maxBytes { return .maxBytes }
        return nil
    }

    /// Where the last event of `base[0..<count]` (whole lines, the last ending with a newline) starts: the
    /// part a following reader holds back until a line that starts the next event arrives. nil when that
    /// event is already as large as the bounds allow (hand everything over; the scan marks the cut).
    package func lastEventStart(_ base: UnsafePointer<UInt8>, count: Int) -> Int? {
        guard count > 0 else { return 0 }
        var start = Scanner.lineStart(base, before: count - 1)
        var end = count - 1
        var lines = 1
        while start > 0 {
            let previous = Scanner.lineStart(base, before: start - 1)
            guard continues(base, lineStart: start, lineEnd: end, previousStart: previous) else { break }
            lines += 1
            if exceeds(lines: lines, bytes: count - previous) != nil { return nil }
            end = start - 1
            start = previous
        }
        return start
    }
}
