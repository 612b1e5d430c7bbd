import Foundation
import ConnwatchModel
import ConnwatchEngine

/// Scans whole inputs once (files, gzip files, stdin): `connwatch scan`, on one or several threads
/// (`ParallelMatcher` over a `ChunkFeed`, which cuts exactly as the daemon's `ChunkReader` does).
package final class OneShotScan {
    package let scanner: ConnwatchEngine.Scanner
    package var context: String?
    package private(set) var bytesRead: UInt64 = 0
    package private(set) var findings = 0
    /// Workers matching in parallel (`scan(paths:threads:)`); 1: read and match on the calling thread.
    package var threads = 1
    /// Bytes read at a time (tests cut small inputs into many pieces with a small value).
    package var chunkBytes = ChunkReader.defaultChunkBytes

    package init(_ ruleSet: RuleSet, context: String? = nil) {
        scanner = Scanner(ruleSet)
        self.context = context
    }

    /// Grouping events on a stream that may pause (standard input or a FIFO, not a redirected file): its open
    /// event is handed over at the grouping timeout, which only the sequential reader does.
    package func needsOneThread(_ path: String) -> Bool {
        guard scanner.events != nil else { return false }
        var st = stat()
        // A path that cannot be stat'ed fails to open as well: the parallel feed reports it at its place.
        guard (path == "-" ? fstat(0, &st) : stat(path, &st)) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        return type == S_IFIFO || type == S_IFCHR || type == S_IFSOCK
    }

    /// Scans `path` ("-" for stdin) to its end on the calling thread, calling `emit` for each finding in input
    /// order. `afterBuffer` runs after each buffer of lines (a live pipe hands over what it has: flush there).
    package func scan(path: String, afterBuffer: () -> Void = {}, emit: (Finding) -> Void) throws(InputError) {
        var input = try OpenedInput.open(path)
        var reader = ChunkReader(chunkBytes: chunkBytes, maxLineBytes: scanner.ruleSet.maxLineBytes, events: scanner.events)
        defer { reader.deallocate() }
        let origin = input.origin
        let context = self.context
        var count = 0
        let scanner = self.scanner
        func body(_ buffer: UnsafeRawBufferPointer, _ offset: UInt64, _ truncated: Bool) {
            scanner.scan(buffer, bufferOffset: offset, origin: origin, context: context, lastLineTruncated: truncated) { f in
                count += 1
                emit(f)
            }
            afterBuffer()
        }
        if let events = scanner.events, let fd = input.liveDescriptor {
            // A pipe that pauses (`journalctl -f | connwatch scan -`): an event open when the writer stops for
            // the grouping timeout is handed over then, as the daemon's inputs do, not at the end of input.
            var source = PausingSource(input.source, fd: fd, timeout: events.settings.timeout, pending: input.pendingBytes)
            while true {
                try reader.run(&source, holdPartialLine: true, body)
                if source.ended { reader.flushPartialLine(body); break }
                reader.flushPartialLine(afterTimeout: true, body)
            }
        } else {
            try reader.run(&input.source, body)
        }
        findings += count
        bytesRead += reader.offset
    }

    /// Scans `paths` in order on `threads` workers (`ParallelMatcher`): findings come in input order, the same
    /// as with one thread; an input's error goes to `failed` at its place and the next input follows.
    /// `shouldStop` is asked between buffers (an output that cannot write ends the scan).
    package func scan(paths: [String], threads: Int, afterBuffer: () -> Void = {}, emit: (Finding) -> Void,
                     failed: (InputError) -> Void, shouldStop: () -> Bool = { false }) {
        let matcher = ParallelMatcher(scanner.ruleSet, threads: threads, context: context, events: scanner.events?.settings,
                                      chunkBytes: chunkBytes)
        let totals = matcher.scan(paths: paths, emit: emit, afterPiece: afterBuffer, failed: failed, shouldStop: shouldStop)
        findings += totals.findings
        bytesRead += totals.bytes
    }
}
