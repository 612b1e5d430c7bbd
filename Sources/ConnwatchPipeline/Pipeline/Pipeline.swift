import Foundation
import Logging
import ConnwatchModel
import ConnwatchEngine

package struct DaemonError: Error, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

extension JournalInput {
    /// A journal input as a configuration describes it, positioned after `cursor` (a checkpoint) or at the
    /// configured start. The one place a journal is opened: `scan --journal` and the daemon.
    package static func open(_ j: Config.JournalInputConfig, ruleSet: RuleSet, cursor: String? = nil,
                            logger: Logger? = nil) throws(DaemonError) -> (input: JournalInput, fd: Int32) {
        do {
            let reader = try JournalReader(j.source)
            try reader.addMatches(j.matches)
            if let cursor {
                if !reader.seekAfter(cursor: cursor) {
                    logger?.warning("journal cursor no longer exists (vacuumed or rotated away): resuming at the oldest entry",
                                    metadata: ["input": "\(j.name)", "cursor": "\(cursor)"])
                    reader.seekHead()
                }
            } else if j.start == .beginning {
                reader.seekHead()
            } else {
                reader.seekTail()
            }
            let scanner = Scanner(ruleSet)
            scanner.events = try j.multiline.map { m throws(PatternError) in try EventBoundaries(m) }
            return (JournalInput(reader: reader, scanner: scanner, context: j.app), try reader.descriptor())
        } catch {
            throw DaemonError("input '\(j.name)': \(error)")
        }
    }
}

/// Inputs read into one delivery (enrich → throttle → outputs), with checkpoints written after the outputs.
/// `scan` runs it to the end of its inputs (`runToEnd`); the daemon runs the one its configuration describes
/// inside the poll loop (`pump`, `commit`), built completely before use (start, reload): positions carry over
/// a reload because the old pipeline's checkpoints are saved before the new one loads them.
package final class Pipeline {
    package let ruleSet: RuleSet
    /// Journals first, then files (the order they are read in on every turn).
    package private(set) var inputs: [any Input] = []
    package let delivery: Delivery
    package let metrics: MetricsFile?
    /// nil for `scan`: nothing to resume, the inputs are still there to scan again.
    package let store: CheckpointStore?
    package var state: CheckpointState
    /// Findings passed to the outputs (throttle summaries included).
    package var findings: Int { delivery.delivered }
    package var outputs: [any FindingOutput] { delivery.outputs }
    /// Line and byte counts already added to the metrics, per input.
    package var reported: [String: (lines: UInt64, bytes: UInt64)] = [:]
    package var reportedOverBudget: [String: Int] = [:]
    /// The backlog found at start (what was written while connwatch was stopped, or since the last synced
    /// checkpoint before a crash): its checkpoint is synced as soon as all of it is read, not an fsync interval
    /// after the start-up sync. Otherwise a daemon killed within that interval (a crash loop) reads the whole
    /// backlog again at its next start, and the backlog grows with every kill.
    var startupBacklog = StartupBacklog.reading
    enum StartupBacklog { case reading, read, synced }
    /// Journal entries and file lines read.
    package var linesRead: UInt64 {
        inputs.reduce(0) { total, input in
            switch input {
            case let j as JournalStream: total + j.journal.entriesRead
            case let f as FileFollower: total + f.linesRead
            default: total
            }
        }
    }

    /// `scan`: the given inputs, no checkpoints.
    package init(inputs: [any Input], ruleSet: RuleSet, delivery: Delivery) {
        self.inputs = inputs
        self.ruleSet = ruleSet
        self.delivery = delivery
        metrics = nil
        store = nil
        state = CheckpointState()
    }

    /// The daemon: the inputs and outputs `config` describes, positioned at the saved checkpoints.
    package init(config: Config, ruleSet: RuleSet, throttle: Throttle, metrics: MetricsFile?, logger: Logger) throws(DaemonError) {
        self.ruleSet = ruleSet
        self.metrics = metrics
        let store = CheckpointStore(directory: config.stateDirectory)
        self.store = store
        do { state = try store.load() ?? CheckpointState() } catch { throw DaemonError(error.description) }
        do {
            // Overlapped: reading and matching on one core, throttle, build and encoding on the other.
            delivery = Delivery(outputs: try config.outputs.makeOutputs(lang: config.lang), throttle: throttle, metrics: metrics,
                                overlapped: true)
        } catch { throw DaemonError("output \(error)") }
        if let problem = config.unknownApps(in: ruleSet).first { throw DaemonError(problem) }
        var files: [any Input] = []
        for input in config.inputs {
            switch input {
            case .journal(let j):
                let (reader, fd) = try JournalInput.open(j, ruleSet: ruleSet, cursor: state.journals[j.name], logger: logger)
                inputs.append(JournalStream(name: j.name, journal: reader, descriptor: fd))
            case .file(let f):
                do {
                    let saved = state.files[f.name] ?? []
                    let firstRun = store.saved == nil
                    let scanner = Scanner(ruleSet)
                    scanner.events = try f.multiline.map { m throws(PatternError) in try EventBoundaries(m) }
                    // A file's findings go straight to the delivery (a journal's get their origins first).
                    scanner.folder = delivery
                    // An open event waits for its next line as long as a partial line does, at most.
                    let timeout = min(f.partialLineTimeout, f.multiline?.timeout ?? .infinity)
                    let follower = try FileFollower(name: f.name, patterns: f.paths, context: f.app, scanner: scanner,
                                                    partialLineTimeout: timeout, checkpoints: saved,
                                                    startAtEnd: firstRun && f.start == .end,
                                                    seenThrough: state.filesSeenThrough?[f.name],
                                                    truncated: state.filesTruncated?[f.name] ?? [])
                    follower.maxOpenFiles = f.maxOpenFiles
                    follower.rotateWait = f.rotateWait
                    follower.logger = logger
                    follower.excludedPaths = config.ownFiles
                    files.append(follower)
                } catch {
                    throw DaemonError("input '\(f.name)': \(error)")
                }
            }
        }
        inputs += files
    }

    /// Reads the inputs until nothing is new or the delivery asks to stop (a full batch); findings go through
    /// the throttle to the outputs' queues. Returns true when it stopped early (call again after writing,
    /// without waiting: the bytes left are already there and no event will announce them).
    @discardableResult
    package func pump() -> Bool {
        var more = false
        for input in inputs where input.read(into: delivery) == .stopped { more = true }
        delivery.closeWindows()
        if !more && startupBacklog == .reading { startupBacklog = .read }
        return more
    }

    /// `scan`: every input read to its end, one after the other, until an output fails; what an input holds at
    /// its end (an open event) is handed over before the next one starts. The caller writes what is left.
    package func runToEnd() {
        for input in inputs where delivery.failure == nil {
            // Stopped with no failure: a full batch (a pausing delivery); write it and read on.
            while delivery.failure == nil, input.read(into: delivery) != .finished { delivery.bufferEnded() }
            input.finish(into: delivery)
        }
    }

    /// Outputs first, checkpoints after: a checkpoint never runs ahead of a finding that is not written (and
    /// synced, as the file output's fsync policy says). A failing output or checkpoint store keeps what it
    /// holds and throws; both retry with the same backoff.
    package func commit(now: Date = Date(), urgent: Bool = false) throws(OutputError) {
        let urgent = urgent || startupBacklog == .read
        // Once: a failing output or store keeps its backoff (what it holds is synced when it works again).
        if startupBacklog == .read { startupBacklog = .synced }
        guard try delivery.flush(now: now, urgent: urgent) else { return }
        guard let store else { return }
        var next = state
        for input in inputs { input.checkpoint(into: &next) }
        if urgent { store.retryNow() }
        try store.save(next, now: now)
        state = next
    }

    package func descriptors() -> [pollfd] { inputs.compactMap(\.pollDescriptor) }

    /// The earliest moment something is due without input: a throttle window's end, an fsync or a retry of an
    /// output or of the checkpoint store, the metrics file, and (when `reading`) a partial line's timeout.
    package func nextDeadline(reading: Bool = true) -> Date? {
        var dates = delivery.nextDeadline().map { [$0] } ?? []
        if let d = store?.nextDeadline() { dates.append(d) }
        if let m = metrics { dates.append(m.nextDeadline()) }
        // A partial line's timeout, and an open multi-line event's (files and journals).
        if reading, let seconds = inputs.compactMap({ $0.nextDeadline(now: Date()) }).min() {
            dates.append(Date().addingTimeInterval(seconds))
        }
        return dates.min()
    }

    /// The earliest retry of something failing (outputs, checkpoints): what the loop wakes for while reading is paused.
    package func nextRetry() -> Date? {
        (delivery.outputs.compactMap { $0.nextDeadline() } + [store?.nextDeadline()].compactMap { $0 }).min()
    }

    /// Adds what the inputs read since the last call to the metrics and sets the gauges.
    package func updateMetrics() {
        guard let m = metrics else { return }
        delivery.reportFindings()
        func count(_ name: String, lines: UInt64, bytes: UInt64) {
            let before = reported[name] ?? (0, 0)
            m.add(.inputLines, [("input", name)], Int64(lines &- before.lines))
            m.add(.inputBytes, [("input", name)], Int64(bytes &- before.bytes))
            reported[name] = (lines, bytes)
        }
        func overBudget(_ name: String, _ scanner: Scanner) {
            m.add(.linesOverBudget, [("input", name)], Int64(scanner.linesOverBudget - (reportedOverBudget[name] ?? 0)))
            reportedOverBudget[name] = scanner.linesOverBudget
        }
        for input in inputs { overBudget(input.name, input.scanner) }
        for input in inputs {
            switch input {
            case let j as JournalStream:
                count(j.name, lines: j.journal.entriesRead, bytes: j.journal.bytesRead)
                m.set(.inputLag, [("input", j.name)], j.journal.lagSeconds)
            case let f as FileFollower:
                count(f.name, lines: f.linesRead, bytes: f.bytesRead)
                m.set(.inputBehind, [("input", f.name)], Double(f.bytesBehind))
            default: break
            }
        }
        for o in outputs { m.set(.outputPending, [("output", o.name)], Double(o.pending)) }
        m.set(.throttleOpenWindows, [], Double(delivery.throttle.openWindows))
        m.set(.rules, [], Double(ruleSet.ruleCount))
    }
}
