import Foundation
import ConnwatchModel
import ConnwatchEngine

/// One cut of a `ChunkFeed`: up to two spans of whole lines in the taker's buffer (the lines, then the head of
/// an over-long line), each scanned on its own as `ChunkReader.run` would hand it over; or an input's error.
package struct FeedPiece {
    package struct Span {
        /// Bytes in the taker's buffer.
        package var range: Range<Int>
        /// Stream offset of `range.lowerBound`.
        package var offset: UInt64
        /// The span's last line was cut at max_line_bytes (the rest of it is skipped).
        package var lastLineTruncated: Bool
    }
    /// Order of the piece among every piece of every input: findings are written in this order.
    package var sequence: Int
    package var origin: Origin
    package var spans: [Span] = []
    /// The input could not be opened or read any further (it ends here).
    package var error: InputError?
    /// This piece ends its input; `bytes` is then the input's length.
    package var endsInput = false
    package var bytes: UInt64 = 0
}

/// Cuts several inputs, one after another, into pieces of whole lines for parallel matching: each taker (a
/// worker) gets the next piece in its *own* buffer, so the read's copy lands in the cache of the core that
/// scans it and no piece is copied again. Only the partial last line (or, grouping events, the open event) is
/// carried over to the next taker through `carry`. The cuts are `ChunkReader.run`'s, byte for byte (same
/// buffer capacity, same rules for over-long lines and held events), so a parallel scan finds exactly what a
/// sequential one finds. Not thread-safe by itself: the caller serialises `next` (`ParallelMatcher`'s feed lock),
/// hence `@unchecked Sendable`.
final class ChunkFeed: @unchecked Sendable {
    let chunkBytes: Int
    let maxLineBytes: Int
    /// Grouping events: a piece never ends inside one (unless it outgrew its bounds).
    let events: EventBoundaries?
    /// What a taker's buffer must hold: a carried event or line plus a chunk (ChunkReader's buffer size).
    let capacity: Int
    let carry: UnsafeMutableRawBufferPointer
    var carried = 0
    /// Stream offset of `carry[0]` (of the next byte to hand over).
    var offset: UInt64 = 0
    /// Inside the tail of an over-long line, already handed over.
    var skipping = false

    var paths: ArraySlice<String>
    var input: OpenedInput?
    var sequence = 0
    /// Gzip inputs are inflated by the taker, straight into its buffer (`GzipStream`): with several takers,
    /// one inflates the next piece while the others scan theirs, with no inflating thread competing with them
    /// for the cores and no copy out of its slots.
    let inflateOnReader: Bool

    init(paths: [String], chunkBytes: Int = ChunkReader.defaultChunkBytes, maxLineBytes: Int, events: EventBoundaries?,
         inflateOnReader: Bool = false) {
        self.paths = paths[...]
        self.inflateOnReader = inflateOnReader
        self.chunkBytes = max(chunkBytes, 4096)
        self.maxLineBytes = maxLineBytes
        self.events = events
        capacity = self.chunkBytes + maxLineBytes + (events?.settings.maxBytes ?? 0) + 1
        carry = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { carry.deallocate() }

    /// The next piece into `buffer` (of `capacity` bytes); nil when every input was read. A piece may hold no
    /// span (the skipped tail of an over-long line): it still keeps its place in the order.
    func next(into buffer: UnsafeMutableRawBufferPointer) -> FeedPiece? {
        precondition(buffer.count >= capacity)
        if input == nil {
            guard let path = paths.popFirst() else { return nil }
            do {
                input = try OpenedInput.open(path, inflateOnReader: inflateOnReader)
            } catch {
                return piece(origin: Origin(input: path == "-" ? "stdin" : "file", path: path == "-" ? nil : path), error: error)
            }
            carried = 0
            offset = 0
            skipping = false
        }
        let origin = input!.origin
        if carried > 0, let to = buffer.baseAddress, let from = carry.baseAddress { to.copyMemory(from: from, byteCount: carried) }
        var fill = carried
        carried = 0
        let n: Int
        do {
            n = try input!.source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[fill..<capacity]))
        } catch {
            input = nil
            return piece(origin: origin, error: error)
        }
        var result = piece(origin: origin)
        if n == 0 {
            // The end: a partial last line is a line of its own, a held event is handed over.
            if fill > 0 && !skipping { result.spans.append(.init(range: 0..<fill, offset: offset, lastLineTruncated: false)) }
            offset += UInt64(fill)
            result.endsInput = true
            result.bytes = offset
            input = nil
            return result
        }
        var base = 0
        var start = fill
        fill += n
        if skipping {
            // Drop the rest of an over-long line up to and including its newline.
            guard let nl = ChunkReader.firstNewline(buffer, from: start, to: fill) else {
                offset += UInt64(fill)
                return result
            }
            base = nl + 1
            offset += UInt64(base)
            skipping = false
            start = base
        }
        if let last = ChunkReader.lastNewline(buffer, from: start, to: fill) {
            var upTo = last + 1
            if let events, let p = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self),
               let open = events.lastEventStart(p + base, count: upTo - base) {
                upTo = base + open
            }
            if upTo > base {
                result.spans.append(.init(range: base..<upTo, offset: offset, lastLineTruncated: false))
                offset += UInt64(upTo - base)
                base = upTo
            }
        }
        // Whole lines of a held event come first; the partial line after them is what may be over-long.
        let partialStart = events == nil ? base : ChunkReader.lastNewline(buffer, from: base, to: fill).map { $0 + 1 } ?? base
        if fill - partialStart > maxLineBytes {
            // An over-long line with no end in sight: its head now, its tail skipped.
            result.spans.append(.init(range: base..<(partialStart + maxLineBytes), offset: offset, lastLineTruncated: true))
            offset += UInt64(fill - base)
            skipping = true
            return result
        }
        carried = fill - base
        if carried > 0, let from = buffer.baseAddress, let to = carry.baseAddress { to.copyMemory(from: from + base, byteCount: carried) }
        return result
    }

    func piece(origin: Origin, error: InputError? = nil) -> FeedPiece {
        defer { sequence += 1 }
        return FeedPiece(sequence: sequence, origin: origin, error: error, endsInput: error != nil)
    }
}
