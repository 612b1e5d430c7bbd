import Foundation
import ConnwatchModel
import ConnwatchEngine

/// The matching stage of a one-shot scan on several cores: workers take pieces of whole lines from one
/// `ChunkFeed` in turn (reading into their own buffer under the feed's lock), scan them with their own
/// `Scanner` (Vectorscan scratch and PCRE2 match data per thread), and the calling thread hands the findings
/// on in input order. Output is identical to one thread's: the cuts do not depend on the number of workers.
/// Memory stays bounded: one buffer per worker, and at most `window` pieces scanned ahead of the one written.
package final class ParallelMatcher: @unchecked Sendable {
    package struct Totals: Sendable {
        package var findings = 0
        package var bytes: UInt64 = 0
    }

    package let ruleSet: RuleSet
    package let threads: Int
    package let context: String?
    let grouping: Multiline?
    let chunkBytes: Int

    /// Serialises `ChunkFeed.next` (reading, cutting) between workers.
    let feedLock = NSLock()
    /// Guards everything below it: results waiting for their turn, flow control, the end.
    let state = NSCondition()
    var results: [Int: FeedPiece] = [:]
    var findingsOf: [Int: [Finding]] = [:]
    /// The next piece the calling thread writes.
    var written = 0
    /// Pieces taken from the feed so far.
    var taken = 0
    var feedDone = false
    var stopping = false

    /// `threads` workers (1: everything on the calling thread); `events`: multi-line grouping settings.
    package init(_ ruleSet: RuleSet, threads: Int, context: String?, events: Multiline?,
                chunkBytes: Int = ChunkReader.defaultChunkBytes) {
        self.ruleSet = ruleSet
        self.threads = max(1, threads)
        self.context = context
        grouping = events
        self.chunkBytes = chunkBytes
    }

    /// Online CPUs: the default worker count.
    package static var onlineCPUs: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Pieces scanned ahead of the one being written, at most (their findings wait in memory).
    var window: Int { 2 * threads }

    /// Scans `paths` ("-" is standard input) to their ends. `emit` gets every finding in input order,
    /// `afterPiece` runs after each piece's findings (a live pipe hands over what it has), `failed` gets an
    /// input's error at its place in the order. `shouldStop` is asked between pieces (an output failed).
    /// All callbacks run on the calling thread.
    package func scan(paths: [String], emit: (Finding) -> Void, afterPiece: () -> Void = {},
                     failed: (InputError) -> Void = { _ in }, shouldStop: () -> Bool = { false }) -> Totals {
        // One worker keeps the inflating thread (the two overlap); several take turns inflating instead.
        let feed = ChunkFeed(paths: paths, chunkBytes: chunkBytes, maxLineBytes: ruleSet.maxLineBytes, events: makeBoundaries(),
                             inflateOnReader: threads > 1)
        var totals = Totals()
        func hand(_ piece: FeedPiece, _ findings: [Finding]) {
            for f in findings { emit(f) }
            totals.findings += findings.count
            if piece.endsInput { totals.bytes += piece.bytes }
            if let error = piece.error { failed(error) }
            afterPiece()
        }
        if threads == 1 {
            let worker = Worker(self, capacity: feed.capacity)
            defer { worker.buffer.deallocate() }
            while !shouldStop(), let piece = feed.next(into: worker.buffer) {
                hand(piece, worker.scan(piece))
            }
            return totals
        }
        for i in 0..<threads {
            let thread = Thread { [self] in work(feed) }
            thread.name = "connwatch-scan-\(i)"
            thread.start()
        }
        state.lock()
        defer { state.unlock() }
        while true {
            if let piece = results.removeValue(forKey: written) {
                let findings = findingsOf.removeValue(forKey: written) ?? []
                written += 1
                state.broadcast()
                state.unlock()
                hand(piece, findings)
                let stop = shouldStop()
                state.lock()
                if stop {
                    // Workers finish the piece in hand and take no other; one blocked reading a pipe is not
                    // waited for (it holds its own references: nothing here is freed under it).
                    stopping = true
                    state.broadcast()
                    return totals
                }
                continue
            }
            if feedDone && written == taken { return totals }
            state.wait()
        }
    }

    func makeBoundaries() -> EventBoundaries? {
        // The settings compiled once already (the caller checked them): compiling again cannot fail.
        grouping.map { try! EventBoundaries($0) }
    }

    /// One worker thread: take a piece, scan it, post its findings; until the feed is dry or the scan stops.
    func work(_ feed: ChunkFeed) {
        let worker = Worker(self, capacity: feed.capacity)
        defer { worker.buffer.deallocate() }
        while true {
            feedLock.lock()
            // Flow control: never run more than `window` pieces ahead of the writer.
            state.lock()
            while !stopping && taken - written >= window { state.wait() }
            let stop = stopping || feedDone
            state.unlock()
            if stop { feedLock.unlock(); return }
            let piece = feed.next(into: worker.buffer)
            state.lock()
            if piece == nil { feedDone = true; state.broadcast() } else { taken += 1 }
            state.unlock()
            feedLock.unlock()
            guard let piece else { return }
            let findings = worker.scan(piece)
            state.lock()
            results[piece.sequence] = piece
            if !findings.isEmpty { findingsOf[piece.sequence] = findings }
            state.broadcast()
            state.unlock()
        }
    }

    /// A scanner and a read buffer of one thread.
    final class Worker {
        let scanner: Scanner
        let buffer: UnsafeMutableRawBufferPointer
        let context: String?

        init(_ matcher: ParallelMatcher, capacity: Int) {
            scanner = Scanner(matcher.ruleSet)
            scanner.events = matcher.makeBoundaries()
            context = matcher.context
            buffer = .allocate(byteCount: capacity, alignment: 64)
        }

        func scan(_ piece: FeedPiece) -> [Finding] {
            var findings: [Finding] = []
            for span in piece.spans {
                scanner.scan(UnsafeRawBufferPointer(rebasing: buffer[span.range]), bufferOffset: span.offset, origin: piece.origin,
                             context: context, lastLineTruncated: span.lastLineTruncated) { findings.append($0) }
            }
            return findings
        }
    }
}
