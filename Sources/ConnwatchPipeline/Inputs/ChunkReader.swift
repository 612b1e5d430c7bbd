import Foundation
import ConnwatchModel
import ConnwatchEngine

/// Cuts a byte stream into buffers of whole lines for `Scanner.scan`, carrying a partial last line over to
/// the next read, and bounding memory: a line longer than `maxLineBytes` is scanned as its first
/// `maxLineBytes` bytes (marked truncated) and the rest of it is skipped.
/// With multi-line grouping (`events`), the last event of what was read is held back too, from its first line,
/// until a line that starts the next event arrives (or the end, or the caller's timeout): a buffer never ends
/// inside an event, and `committedOffset` (where a follower resumes after a restart) is the open event's start.
package struct ChunkReader {
    package let chunkBytes: Int
    package let maxLineBytes: Int
    package let events: EventBoundaries?
    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes held in `buffer` (a partial line carried over plus new data).
    var fill = 0
    /// Stream offset of `buffer[0]`.
    var offset: UInt64 = 0
    /// Inside the remainder of an over-long line, already scanned.
    var skipping = false
    /// The last line of an event handed over at the grouping timeout, until the next buffer is handed over:
    /// if that buffer's first line continues it, its first event is marked (`EventBoundaries.firstEventContinuesFlushed`).
    var timeoutTail: [UInt8]?

    package static let defaultChunkBytes = 1 << 20

    /// `inLongLineTail`: `startOffset` lies inside a line already cut at `maxLineBytes` (a follower resuming
    /// there after a restart): everything up to the next newline is skipped.
    package init(chunkBytes: Int = ChunkReader.defaultChunkBytes, maxLineBytes: Int, startOffset: UInt64 = 0,
                events: EventBoundaries? = nil, inLongLineTail: Bool = false) {
        self.chunkBytes = max(chunkBytes, 4096)
        self.maxLineBytes = maxLineBytes
        self.events = events
        offset = startOffset
        skipping = inLongLineTail
        // Room for a carried line of up to maxLineBytes (after a held event) plus a full chunk.
        buffer = .allocate(byteCount: self.chunkBytes + maxLineBytes + (events?.settings.maxBytes ?? 0) + 1, alignment: 64)
    }

    package func deallocate() { buffer.deallocate() }

    /// Stream offset of the first byte not yet handed over (the start of a held partial line): where a
    /// follower resumes after a restart.
    package var committedOffset: UInt64 { offset }
    /// Bytes of a partial last line (and, grouping events, of the open event) held back.
    package var heldBytes: Int { skipping ? 0 : fill }
    /// `committedOffset` lies inside the skipped tail of an over-long line.
    package var inLongLineTail: Bool { skipping }

    /// Reads `source` to its end, handing each buffer of whole lines to `body(buffer, streamOffset, lastLineTruncated)`.
    /// `holdPartialLine`: at the end, keep an unterminated last line for the next call (following a file
    /// that is still being written) instead of handing it over.
    package mutating func run<S: ByteSource>(
        _ source: inout S, holdPartialLine: Bool = false, shouldStop: () -> Bool = { false },
        _ body: (UnsafeRawBufferPointer, UInt64, Bool) -> Void
    ) throws(InputError) {
        while true {
            // The caller's budget (e.g. findings waiting for the outputs): stop between chunks, resumable.
            if holdPartialLine && shouldStop() { return }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[fill..<buffer.count]))
            if n == 0 {
                if holdPartialLine { return }
                flushPartialLine(body)
                return
            }
            var start = fill
            fill += n
            if skipping {
                // Drop the rest of an over-long line up to and including its newline.
                guard let nl = Self.firstNewline(buffer, from: start, to: fill) else {
                    offset += UInt64(fill); fill = 0; continue
                }
                let drop = nl + 1
                offset += UInt64(drop)
                move(from: drop)
                skipping = false
                start = 0
            }
            if let last = Self.lastNewline(buffer, from: start, to: fill) {
                var upTo = last + 1
                if let events, let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self),
                   let open = events.lastEventStart(base, count: upTo) {
                    upTo = open
                }
                if upTo > 0 {
                    handOver(UnsafeRawBufferPointer(rebasing: buffer[0..<upTo]), false, body)
                    offset += UInt64(upTo)
                    move(from: upTo)
                }
            }
            // Whole lines of a held event come first; the partial line after them is what may be over-long.
            let partialStart = events == nil ? 0 : Self.lastNewline(buffer, from: 0, to: fill).map { $0 + 1 } ?? 0
            if fill - partialStart > maxLineBytes {
                // An over-long line with no end in sight: scan its head now, skip its tail.
                handOver(UnsafeRawBufferPointer(rebasing: buffer[0..<(partialStart + maxLineBytes)]), true, body)
                offset += UInt64(fill)
                fill = 0
                skipping = true
            }
        }
    }

    /// Hands over a held partial line as a line of its own, and a held event (end of input, or a follower's
    /// timeout: `afterTimeout`, so that a continuation arriving later marks the event it begins).
    package mutating func flushPartialLine(afterTimeout: Bool = false, _ body: (UnsafeRawBufferPointer, UInt64, Bool) -> Void) {
        if fill > 0 && !skipping {
            let held = UnsafeRawBufferPointer(rebasing: buffer[0..<fill])
            handOver(held, false, body)
            if afterTimeout && events != nil { timeoutTail = EventBoundaries.lastLine(held) }
        }
        offset += UInt64(fill)
        fill = 0
    }

    /// Calls `body` with a buffer of lines at `offset`, telling the scanner (for this call) whether its first
    /// line continues an event handed over at the timeout.
    mutating func handOver(_ lines: UnsafeRawBufferPointer, _ truncated: Bool, _ body: (UnsafeRawBufferPointer, UInt64, Bool) -> Void) {
        guard let tail = timeoutTail, let events else { body(lines, offset, truncated); return }
        timeoutTail = nil
        events.firstEventContinuesFlushed = events.continuesFlushed(tail, lines)
        defer { events.firstEventContinuesFlushed = false }
        body(lines, offset, truncated)
    }

    /// Forgets everything held and restarts at `offset` (a truncated file starts again at 0).
    package mutating func reset(to newOffset: UInt64) {
        fill = 0
        skipping = false
        timeoutTail = nil
        offset = newOffset
    }

    mutating func move(from index: Int) {
        let rest = fill - index
        if rest > 0, let base = buffer.baseAddress { base.copyMemory(from: base + index, byteCount: rest) }
        fill = rest
    }

    static func firstNewline(_ b: UnsafeMutableRawBufferPointer, from: Int, to: Int) -> Int? {
        guard to > from, let base = b.baseAddress, let p = memchr(base + from, 0x0A, to - from) else { return nil }
        return UnsafeRawPointer(p) - UnsafeRawPointer(base)
    }

    static func lastNewline(_ b: UnsafeMutableRawBufferPointer, from: Int, to: Int) -> Int? {
        var i = to - 1
        while i >= from {
            if b[i] == 0x0A { return i }
            i -= 1
        }
        return nil
    }
}
