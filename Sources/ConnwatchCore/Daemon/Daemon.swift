import Foundation
import Logging

public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Everything built from one configuration: rules, inputs positioned from the checkpoints, the output.
/// A reload builds a new one (after the old one wrote its checkpoints), so positions carry over.
final class Pipeline {
    let config: Config
    let ruleSet: RuleSet
    let store: CheckpointStore
    var journals: [(name: String, input: JournalInput, fd: Int32)] = []
    var files: [FileFollower] = []
    let encoder: any FindingEncoder
    let out = OutputBuffer(fd: 1)
    var state: CheckpointState
    var findings = 0
    var journalEntries: UInt64 { journals.reduce(0) { $0 + $1.input.entriesRead } }
    var fileLines: UInt64 { files.reduce(0) { $0 + $1.linesRead } }

    init(config: Config, ruleSet: RuleSet, logger: Logger) throws(DaemonError) {
        self.config = config
        self.ruleSet = ruleSet
        store = CheckpointStore(directory: config.stateDirectory)
        do { state = try store.load() ?? CheckpointState() } catch { throw DaemonError(error.description) }
        encoder = config.stdout.format == "text" ? TextEncoder(lang: config.lang, color: false) : JSONLinesEncoder(lang: config.lang)
        let host = OneShotScan.hostname()
        if let problem = config.unknownApps(in: ruleSet).first { throw DaemonError(problem) }
        for input in config.inputs {
            switch input {
            case .journal(let j):
                do {
                    let reader = try JournalReader(j.source)
                    try reader.addMatches(j.matches)
                    if let cursor = state.journals[j.name] {
                        if !reader.seekAfter(cursor: cursor) {
                            logger.warning("journal cursor no longer exists (vacuumed or rotated away): resuming at the oldest entry",
                                           metadata: ["input": "\(j.name)", "cursor": "\(cursor)"])
                            reader.seekHead()
                        }
                    } else if j.start == .beginning {
                        reader.seekHead()
                    } else {
                        reader.seekTail()
                    }
                    let fd = try reader.descriptor()
                    journals.append((j.name, JournalInput(reader: reader, scanner: Scanner(ruleSet), context: j.app, host: host), fd))
                } catch {
                    throw DaemonError("input '\(j.name)': \(error)")
                }
            case .file(let f):
                do {
                    let saved = state.files[f.name] ?? []
                    let firstRun = store.saved == nil
                    let follower = try FileFollower(name: f.name, patterns: f.paths, context: f.app, scanner: Scanner(ruleSet),
                                                    partialLineTimeout: f.partialLineTimeout, checkpoints: saved,
                                                    startAtEnd: firstRun && f.start == .end)
                    follower.maxOpenFiles = f.maxOpenFiles
                    files.append(follower)
                } catch {
                    throw DaemonError("input '\(f.name)': \(error)")
                }
            }
        }
    }

    /// Reads every input until nothing is new, encoding findings into the output buffer.
    func pump() {
        let encoder = self.encoder
        let out = self.out
        var count = 0
        let emit: (Finding) -> Void = { f in
            var f = f
            if f.time == nil { f.time = Date() }
            encoder.encode(f, into: &out.bytes)
            count += 1
        }
        for j in journals {
            j.input.reader.process()
            while j.input.poll(emit: emit) > 0 {}
        }
        for f in files {
            f.handleEvents()
            f.pump(emit: emit)
            f.flushStalePartialLines(emit: emit)
        }
        findings += count
    }

    /// Outputs first, checkpoints after: a checkpoint never runs ahead of a finding that was not written.
    func commit() throws {
        try out.flush()
        var next = state
        for j in journals { if let c = j.input.lastCursor { next.journals[j.name] = c } }
        for f in files { next.files[f.name] = f.checkpoints.sorted { ($0.path, $0.inode) < ($1.path, $1.inode) } }
        try store.save(next)
        state = next
    }

    func descriptors() -> [pollfd] {
        journals.map { pollfd(fd: $0.fd, events: $0.input.reader.events(), revents: 0) }
            + files.map { pollfd(fd: $0.inotify, events: Int16(POLLIN), revents: 0) }
    }

    /// Milliseconds until a partial line is due (-1: none).
    func partialLineDeadline() -> Int32 {
        let next = files.compactMap { $0.nextDeadline() }.min()
        return next.map { Int32(min(Double(Int32.max), ($0 * 1000).rounded(.up))) } ?? -1
    }
}

/// `connwatch run`: follows the configured inputs until asked to stop. The loop runs on one thread and
/// sleeps in poll(2) on the inputs' descriptors and a wake pipe: no polling while idle.
public final class Daemon: @unchecked Sendable {
    let configPath: String?
    let logger: Logger
    let notifier = Notifier()
    let wake: (read: Int32, write: Int32)
    var pipeline: Pipeline
    var lastStatus = ""
    var lastStatusTime = Date.distantPast

    public init(configPath: String?, rulesOverride: [String] = [], logger: Logger) throws(DaemonError) {
        self.configPath = configPath
        self.logger = logger
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DaemonError("pipe: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wake = (fds[0], fds[1])
        pipeline = try Self.build(configPath: configPath, logger: logger)
    }

    static func loadConfig(_ path: String?) throws(DaemonError) -> Config {
        do { return try Config.load(path: path) } catch { throw DaemonError("invalid configuration:\n" + error.description) }
    }

    static func build(configPath: String?, logger: Logger) throws(DaemonError) -> Pipeline {
        let config = try loadConfig(configPath)
        let ruleSet: RuleSet
        do {
            ruleSet = try RuleSet.load(directories: config.resolvedRuleDirectories, maxLineBytes: config.maxLineBytes,
                                       cacheDirectory: RuleSet.defaultCacheDirectory())
        } catch { throw DaemonError("invalid rules:\n" + error.description) }
        return try Pipeline(config: config, ruleSet: ruleSet, logger: logger)
    }

    /// Thread-safe: a write to the wake pipe.
    public func requestStop() { poke("s") }
    public func requestReload() { poke("r") }

    func poke(_ c: Character) {
        var b = c.asciiValue!
        _ = write(wake.write, &b, 1)
    }

    /// Runs until `requestStop`; returns after the last findings and checkpoints are written.
    public func run() throws(DaemonError) {
        let watchdog = notifier.watchdogInterval
        var lastPing = Date()
        do {
            pipeline.pump()
            try pipeline.commit()
        } catch { throw DaemonError("\(error)") }
        notifier.send("READY=1\nSTATUS=\(status())")
        logger.info("following", metadata: ["inputs": "\(pipeline.config.inputs.map(\.name).joined(separator: ","))",
                                             "rules": "\(pipeline.ruleSet.ruleCount)"])
        var commitFailing = false
        while true {
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)] + pipeline.descriptors()
            var timeout = pipeline.partialLineDeadline()
            if commitFailing { timeout = timeout < 0 ? 1000 : min(timeout, 1000) }
            if let watchdog {
                let ms = Int32(max(0, (watchdog / 2 - Date().timeIntervalSince(lastPing)) * 1000))
                timeout = timeout < 0 ? ms : min(timeout, ms)
            }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { throw DaemonError("poll: \(String(cString: strerror(errno)))") }
            var stop = false, reload = false
            if fds[0].revents != 0 {
                var buf = [UInt8](repeating: 0, count: 64)
                while true {
                    let n = read(wake.read, &buf, buf.count)
                    if n <= 0 { break }
                    for b in buf[0..<n] { if b == UInt8(ascii: "s") { stop = true } else if b == UInt8(ascii: "r") { reload = true } }
                }
            }
            pipeline.pump()
            do {
                try pipeline.commit()
                if commitFailing { logger.notice("output writable again; checkpoints move on") }
                commitFailing = false
            } catch {
                // Keep the findings buffered and the checkpoints where they are; retry shortly.
                if !commitFailing { logger.error("cannot write findings: \(error); checkpoints held until it works") }
                commitFailing = true
            }
            if let watchdog, Date().timeIntervalSince(lastPing) >= watchdog / 2 {
                notifier.send("WATCHDOG=1")
                lastPing = Date()
            }
            updateStatus()
            if stop { break }
            if reload { self.reload() }
        }
        notifier.send("STOPPING=1")
        do { try pipeline.commit() } catch { throw DaemonError("final write failed: \(error)") }
        logger.info("stopped", metadata: ["findings": "\(pipeline.findings)"])
    }

    func reload() {
        notifier.reloading()
        logger.info("reloading configuration and rules")
        do {
            try pipeline.commit()
            let next = try Self.build(configPath: configPath, logger: logger)
            pipeline = next
            pipeline.pump()
            try pipeline.commit()
            logger.info("reloaded", metadata: ["rules": "\(pipeline.ruleSet.ruleCount)"])
        } catch {
            logger.error("reload failed, still running on the previous configuration and rules: \(error)")
        }
        notifier.send("READY=1\nSTATUS=\(status())")
    }

    func status() -> String {
        "\(pipeline.journalEntries + pipeline.fileLines) lines, \(pipeline.findings) findings"
    }

    func updateStatus() {
        let s = status()
        guard s != lastStatus, Date().timeIntervalSince(lastStatusTime) >= 1 else { return }
        notifier.send("STATUS=\(s)")
        lastStatus = s
        lastStatusTime = Date()
    }
}
