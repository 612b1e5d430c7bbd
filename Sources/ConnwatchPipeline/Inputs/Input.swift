import Foundation
import ConnwatchModel
import ConnwatchEngine

/// The end of the pipeline as an input sees it, in the spirit of ripgrep's `Sink`: findings go in, and one
/// answer says whether to read on. `Delivery` is the one implementation (enrich → throttle → outputs).
package protocol FindingSink: AnyObject {
    func accept(_ finding: Finding)
    /// True while the sink wants nothing more: a full batch waiting for the outputs (the daemon), or a
    /// failing output (both).
    var shouldStop: Bool { get }
    /// A buffer of lines was scanned: what arrived may leave now (`scan` of a live pipe), not only when a
    /// batch fills.
    func bufferEnded()
}

/// Where a `read` left an input.
package enum ReadResult: Equatable, Sendable {
    /// Everything there was read: wait for the descriptor or the deadline.
    case drained
    /// The sink said stop: read again once it is ready, without waiting (the bytes left are already there
    /// and no event will announce them).
    case stopped
    /// A one-shot input reached its end.
    case finished
}

/// One source of lines: the file follower and the journal (followed by the daemon), and the one-shot sources
/// of `scan` (files, gzip files, stdin, `--journal`). `scan` reads its inputs to their end; the daemon reads
/// its own whenever the poll loop says a descriptor or a deadline is due.
package protocol Input: AnyObject {
    var name: String { get }
    var scanner: ConnwatchEngine.Scanner { get }
    /// What the poll loop waits on; nil for a one-shot input (ready until it is finished).
    var pollDescriptor: pollfd? { get }
    /// Seconds until something is due without new bytes (a partial line, an open event, a retry).
    func nextDeadline(now: Date) -> Double?
    /// Reads into `sink` until drained, told to stop, or at the end; hands over partial lines and events
    /// whose time has come.
    func read(into sink: any FindingSink) -> ReadResult
    /// Hands over what is still held at the end of a one-shot input (an open event).
    func finish(into sink: any FindingSink)
    /// Where this input stands; saved only after the outputs confirmed the findings read before it.
    func checkpoint(into state: inout CheckpointState)
}

extension Delivery: FindingSink {
    package func bufferEnded() { writeWhatArrived() }
}

extension FileFollower: Input {
    package var pollDescriptor: pollfd? { pollfd(fd: inotify, events: Int16(POLLIN), revents: 0) }

    package func read(into sink: any FindingSink) -> ReadResult {
        handleEvents()
        pump(emit: { sink.accept($0) }, shouldStop: { sink.shouldStop })
        let stopped = unfinished
        flushStalePartialLines(emit: { sink.accept($0) })
        return stopped ? .stopped : .drained
    }

    /// A followed file has no end: what it holds waits for its next line, or for the next start.
    package func finish(into sink: any FindingSink) {}

    package func checkpoint(into state: inout CheckpointState) {
        state.files[name] = checkpoints.sorted { ($0.path, $0.inode) < ($1.path, $1.inode) }
        if let seen = seenThroughNanoseconds { state.filesSeenThrough = state.filesSeenThrough ?? [:]; state.filesSeenThrough![name] = seen }
        let truncated = truncatedFiles
        if !truncated.isEmpty || state.filesTruncated?[name] != nil {
            state.filesTruncated = state.filesTruncated ?? [:]
            state.filesTruncated![name] = truncated.isEmpty ? nil : truncated
            if state.filesTruncated!.isEmpty { state.filesTruncated = nil }
        }
    }
}

/// A journal as an input: followed from a checkpoint (the daemon), or read to its end (`scan --journal`).
package final class JournalStream: Input {
    package let name: String
    package let journal: JournalInput
    /// The journal's descriptor when followed; nil when read once to its end.
    let descriptor: Int32?

    package init(name: String, journal: JournalInput, descriptor: Int32?) {
        self.name = name
        self.journal = journal
        self.descriptor = descriptor
    }

    package var scanner: ConnwatchEngine.Scanner { journal.scanner }
    package var pollDescriptor: pollfd? {
        descriptor.map { pollfd(fd: $0, events: journal.reader.events(), revents: 0) }
    }
    package func nextDeadline(now: Date) -> Double? { journal.nextDeadline(now: now) }

    package func read(into sink: any FindingSink) -> ReadResult {
        let followed = descriptor != nil
        if followed { journal.reader.process() }
        while !sink.shouldStop && journal.poll(emit: { sink.accept($0) }) > 0 {}
        let stopped = sink.shouldStop
        guard followed else { return stopped ? .stopped : .finished }
        journal.flushStale(emit: { sink.accept($0) })
        return stopped ? .stopped : .drained
    }

    package func finish(into sink: any FindingSink) { journal.flushHeld(cut: nil, emit: { sink.accept($0) }) }

    package func checkpoint(into state: inout CheckpointState) {
        if let cursor = journal.lastCursor { state.journals[name] = cursor }
    }
}

/// Files, gzip files and standard input ("-"), each read once to its end, in order (`connwatch scan FILE…`),
/// matched on `job.threads` workers with findings in input order, the same for any number of them.
/// A file that cannot be read is reported through `failed` at its place and the others are still scanned.
package final class OneShotFiles: Input {
    package let name = "files"
    package let job: OneShotScan
    let paths: [String]
    var next = 0
    let failed: (InputError) -> Void

    package init(paths: [String], job: OneShotScan, failed: @escaping (InputError) -> Void) {
        self.paths = paths
        self.job = job
        self.failed = failed
    }

    package var scanner: ConnwatchEngine.Scanner { job.scanner }
    package var pollDescriptor: pollfd? { nil }
    package func nextDeadline(now: Date) -> Double? { nil }

    package func read(into sink: any FindingSink) -> ReadResult {
        while next < paths.count && !sink.shouldStop {
            // The next inputs that may be matched on several threads go through one set of workers together.
            let run = job.threads > 1 ? paths[next...].prefix { !job.needsOneThread($0) } : []
            if !run.isEmpty {
                // A stop ends the run where it is: a one-shot sink stops only when an output fails.
                job.scan(paths: Array(run), threads: job.threads, afterBuffer: { sink.bufferEnded() }, emit: { sink.accept($0) },
                         failed: failed, shouldStop: { sink.shouldStop })
                next += run.count
                continue
            }
            defer { next += 1 }
            do {
                try job.scan(path: paths[next], afterBuffer: { sink.bufferEnded() }, emit: { sink.accept($0) })
            } catch {
                failed(error)
            }
        }
        return next < paths.count ? .stopped : .finished
    }

    /// Each file's last event was handed over at its end.
    package func finish(into sink: any FindingSink) {}
    /// `scan` keeps no checkpoints: the files are still there to scan again.
    package func checkpoint(into state: inout CheckpointState) {}
}
