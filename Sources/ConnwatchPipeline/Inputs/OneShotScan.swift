import Foundation
import ConnwatchModel
import ConnwatchEngine

/// Scans whole inputs once (files, gzip files, stdin): `connwatch scan`. The daemon's following inputs
/// reuse `ChunkReader` and `Scanner` the same way.
package final class OneShotScan {
    package let scanner: ConnwatchEngine.Scanner
    package var context: String?
    package private(set) var bytesRead: UInt64 = 0
    package private(set) var findings = 0

    package init(_ ruleSet: RuleSet, context: String? = nil) {
        scanner = Scanner(ruleSet)
        self.context = context
    }

    /// Scans `path` ("-" for stdin) to its end, calling `emit` for each finding in input order.
    /// `afterBuffer` runs after each buffer of lines (a live pipe hands over what it has: flush there).
    package func scan(path: String, afterBuffer: () -> Void = {}, emit: (Finding) -> Void) throws(InputError) {
        var input = try OpenedInput.open(path)
        var reader = ChunkReader(maxLineBytes: scanner.ruleSet.maxLineBytes, events: scanner.events)
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
}
