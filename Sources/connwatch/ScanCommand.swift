import ArgumentParser
import Foundation
import ConnwatchModel
import ConnwatchRules
import ConnwatchEngine
import ConnwatchPipeline

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan logs once and print one finding per matched line.",
        discussion: """
        FILE may be a plain or gzip-compressed log; '-' or no FILE reads standard input.
        Repeats of the same finding (rule, app, code, tenant/client) within the throttle window are folded
        into one summary finding with their count; --no-throttle reports every occurrence.
        Exit status: 0 when something was found, 1 when nothing was, 2 on error.
        """
    )

    @Argument(help: "Log files to scan ('-' for standard input).")
    var files: [String] = []

    @Option(help: "json (default when stdout is not a terminal) or text.")
    var format: OutputFormat?

    @Option(help: "Language of titles and remediation: en or ko (default from LANG).")
    var lang: Language?

    @Option(help: "The app these logs belong to (e.g. okta, office365): decides ambiguous connector errors.")
    var app: String?

    @Option(help: ArgumentHelp("Scan a journal directory or file (read with libsystemd) from its first entry.", valueName: "path"))
    var journal: String?

    @Option(help: ArgumentHelp("With --journal: only entries matching FIELD=value (repeatable, OR-ed).", valueName: "FIELD=value"))
    var match: [String] = []

    @Option(name: .customLong("output"), help: ArgumentHelp("Where findings go: stdout, journal or file:PATH (repeatable; default stdout).", valueName: "output"))
    var outputs: [String] = []

    @Option(help: "fsync policy of a file output: always, interval or never.")
    var fsync: FsyncPolicy = .interval

    @Flag(help: "Report every occurrence instead of folding repeats.")
    var noThrottle = false

    @Option(help: ArgumentHelp("Throttle window in seconds.", valueName: "seconds"))
    var throttleWindow: Double = 300

    @Option(help: ArgumentHelp("Group continuation lines into one event before matching: \(Multiline.modeHelp).", valueName: "mode"))
    var multiline: String?

    @Option(help: ArgumentHelp("A line matching this regex starts an event (the others continue it).", valueName: "regex"))
    var multilineStart: String?

    @Option(help: ArgumentHelp("A line matching this regex continues the event before it.", valueName: "regex"))
    var multilineContinuation: String?

    @Option(help: ArgumentHelp("Standard input or a FIFO: an open event is handed over after this many seconds without a new line (default 3).", valueName: "seconds"))
    var multilineTimeout: Double?

    @Option(help: ArgumentHelp("Threads matching files in parallel (default: the online CPUs); findings come in input order, the same for any n. --journal: one thread per journal file, findings in the journal's order; one thread when grouping events. Standard input or a FIFO: one thread while grouping events (the grouping timeout).", valueName: "n"))
    var threads: Int?

    @OptionGroup var ruleOptions: RuleOptions

    /// The grouping the multiline options ask for (nil: one line, one event).
    func eventBoundaries() throws -> EventBoundaries? {
        var m: Multiline?
        if let multiline {
            guard let parsed = Multiline.parse(multiline) else { throw ValidationError("--multiline '\(multiline)': expected \(Multiline.modeHelp)") }
            m = parsed
        }
        if multilineStart != nil || multilineContinuation != nil {
            if m == nil { m = Multiline(formats: []) }
            m?.start = multilineStart
            m?.continuation = multilineContinuation
        }
        if let multilineTimeout {
            guard multilineTimeout > 0, multilineTimeout.isFinite else { throw ValidationError("--multiline-timeout must be > 0 seconds") }
            guard m != nil else { throw ValidationError("--multiline-timeout needs --multiline or --multiline-start/--multiline-continuation") }
            m?.timeout = multilineTimeout
        }
        guard let m else { return nil }
        do { return try EventBoundaries(m) } catch { throw ValidationError("--multiline-start/--multiline-continuation: invalid regex \(error)") }
    }

    /// `--output` values as the configuration's outputs.
    func outputsConfig() throws -> Config.OutputsConfig {
        var c = Config.OutputsConfig(stdout: nil)
        for o in outputs.isEmpty ? ["stdout"] : outputs {
            if o == "stdout" { c.stdout = .init() }
            else if o == "journal" { c.journal = true }
            else if o.hasPrefix("file:"), o.count > 5 {
                let path = String(o.dropFirst(5))
                c.file = FileOutput.Settings(path: path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path, fsync: fsync)
            } else { throw ValidationError("--output '\(o)': expected stdout, journal or file:PATH") }
        }
        return c
    }

    func run() throws {
        let ruleSet = try ruleOptions.load()
        if let app, ruleSet.catalog.apps[app] == nil {
            throw CLIError("unknown app '\(app)' (known: \(ruleSet.catalog.apps.keys.sorted().joined(separator: ", ")))")
        }
        let lang = self.lang ?? Language.fromEnvironment(ProcessInfo.processInfo.environment)
        let tty = isTerminal(1)
        let encoder: any FindingEncoder = (format ?? (tty ? .text : .json)) == .json
            ? JSONLinesEncoder(lang: lang)
            : TextEncoder(lang: lang, color: tty && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true)
        guard throttleWindow > 0 else { throw ValidationError("--throttle-window must be > 0 seconds") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be from 1 to 1024") }
        let boundaries = try eventBoundaries()
        let delivery: Delivery
        do {
            delivery = Delivery(outputs: try outputsConfig().makeOutputs(lang: lang, stdoutEncoder: encoder),
                                throttle: Throttle(.init(enabled: !noThrottle, window: throttleWindow)), policy: .writeWhenFull)
        } catch let error as OutputError { throw CLIError("cannot open output: \(error)") }
        // The daemon's delivery, writing each full batch as it comes; a write error ends the scan (the input is
        // still there to rescan).
        func finish(found: Bool, failed: Bool) throws -> Never {
            if let failure = delivery.failure { throw CLIError("cannot write findings: \(failure)") }
            delivery.closeAllWindows()
            do { _ = try delivery.flush(urgent: true) } catch { throw CLIError("cannot write findings: \(error)") }
            throw ExitCode(failed ? Status.error : found ? Status.found : Status.none)
        }
        // The daemon's pipeline, run to the end of the inputs: a journal or the files (stdin by default).
        var failed = false
        let input: any Input
        if let journal {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: journal, isDirectory: &isDir) else {
                throw CLIError("\(journal): No such file or directory")
            }
            let threads = threads ?? ParallelMatcher.onlineCPUs
            // Several files on several threads, one sd_journal each; grouping events needs the single walk.
            if isDir.boolValue, threads > 1, boundaries == nil, JournalFileScan.fileCount(journal) > 1 {
                do {
                    input = try JournalFileScan(name: journal, directory: journal, matches: match, ruleSet: ruleSet,
                                                context: app, threads: threads)
                } catch { throw CLIError("input '\(journal)': \(error)") }
            } else {
                let source: JournalSource = isDir.boolValue ? .directory(journal) : .files([journal])
                let stream: JournalInput
                do {
                    stream = try JournalInput.open(.init(name: journal, source: source, matches: match, start: .beginning, app: app),
                                                   ruleSet: ruleSet).input
                    stream.scanner.events = boundaries
                } catch { throw CLIError(error.description) }
                input = JournalStream(name: journal, journal: stream, descriptor: nil)
            }
        } else {
            let job = OneShotScan(ruleSet, context: app)
            job.scanner.events = boundaries
            // On one thread a line's finding is offered to the throttle before it is built, as a followed file's
            // is in the daemon: a repeat is counted, not built and stamped (the workers of several threads build
            // theirs, and the throttle folds them here).
            job.scanner.folder = delivery
            job.threads = threads ?? ParallelMatcher.onlineCPUs
            input = OneShotFiles(paths: files.isEmpty ? ["-"] : files, job: job) { error in
                writeError(error.description)
                failed = true
            }
        }
        Pipeline(inputs: [input], ruleSet: ruleSet, delivery: delivery).runToEnd()
        // Every finding passes the throttle at its first sight: something was delivered iff something was found.
        try finish(found: delivery.delivered > 0, failed: failed)
    }
}

extension FsyncPolicy: ExpressibleByArgument {}
