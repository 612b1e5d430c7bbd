import ConnwatchModel

/// The line before a finding's line in the same source, for redaction (`Redactor.spans(in:after:)`): a secret's
/// name at the end of one line (`- name: DB_PASSWORD`, `"client_secret":`, `password: |`) makes the start of the
/// next its value. Inside a buffer the line before is read where it lies (in line mode and before a multi-line
/// event alike). A buffer's first line gets the last line of the same source's previous buffer, kept only when it
/// leaves a value open, and only when the new buffer starts where that one ended: a scan's pieces on other threads
/// and a journal batch start without it.
struct RedactionContext {
    struct Carried {
        /// The stream offset just past the line, where the source's next buffer must start.
        var end: UInt64
        var line: [UInt8]
    }

    /// Per source (a file's path, else the input's name), only lines that leave a value open; at most `limit`.
    var carried: [String: Carried] = [:]
    static let limit = 256
    /// The buffer being scanned and where the line (or event) being evaluated starts in it.
    var base: UnsafePointer<UInt8>?
    var lineStart = 0
    /// The line before the buffer's first, when its source left a value open there.
    var incoming: [UInt8]?

    /// Called once per buffer, before anything in it is evaluated.
    mutating func start(_ buffer: UnsafeRawBufferPointer, offset: UInt64, origin: Origin) {
        base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
        incoming = nil
        guard let base else { return }
        let key = origin.path ?? origin.input ?? ""
        if !carried.isEmpty, let c = carried.removeValue(forKey: key), c.end == offset { incoming = c.line }
        // The buffer's last line, without its newline.
        var e = buffer.count
        if e > 0 && base[e - 1] == 0x0A { e -= 1 }
        var s = e
        while s > 0 && e - s < Redactor.previousLineBytes && base[s - 1] != 0x0A { s -= 1 }
        let last = UnsafeRawBufferPointer(start: base + s, count: e - s)
        if let from = Redactor.leavesValueOpen(last) {
            if carried.count >= Self.limit { carried.removeAll() }
            carried[key] = Carried(end: offset + UInt64(buffer.count), line: Array(last[from...]))
        }
    }

    mutating func end() {
        base = nil
        incoming = nil
    }

    /// `body` with the line before the one at `lineStart` (at most `Redactor.previousLineBytes` of it), or nil.
    func withPreviousLine<R>(_ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard let base else { return body(nil) }
        guard lineStart > 0 else {
            guard let incoming else { return body(nil) }
            return incoming.withUnsafeBytes { body($0) }
        }
        let e = lineStart - 1 // the newline that ends the line before
        var s = e
        while s > 0 && e - s < Redactor.previousLineBytes && base[s - 1] != 0x0A { s -= 1 }
        return body(UnsafeRawBufferPointer(start: base + s, count: e - s))
    }
}
