import ArgumentParser
import ConnwatchCore
import Foundation

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan logs once and print one finding per matched line.",
        discussion: """
        FILE may be a plain or gzip-compressed log; '-' or no FILE reads standard input.
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

    @OptionGroup var ruleOptions: RuleOptions

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
        let out = OutputBuffer(fd: 1)
        if let journal {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: journal, isDirectory: &isDir) else {
                throw CLIError("\(journal): No such file or directory")
            }
            let input: JournalInput
            do {
                let reader = try JournalReader(isDir.boolValue ? .directory(journal) : .files([journal]))
                try reader.addMatches(match)
                reader.seekHead()
                input = JournalInput(reader: reader, scanner: Scanner(ruleSet), context: app)
            } catch { throw CLIError("\(journal): \(error)") }
            var found = 0
            var outputError: Error?
            while input.poll(emit: { finding in
                encoder.encode(finding, into: &out.bytes)
                found += 1
                do { try out.flushIfFull() } catch { outputError = error }
            }) > 0 {
                if let outputError { throw CLIError("cannot write output: \(outputError)") }
            }
            try out.flush()
            throw ExitCode(found > 0 ? Status.found : Status.none)
        }
        let job = OneShotScan(ruleSet, context: app)
        var failed = false
        var outputError: Error?
        for path in files.isEmpty ? ["-"] : files {
            do {
                try job.scan(path: path) { finding in
                    encoder.encode(finding, into: &out.bytes)
                    do { try out.flushIfFull() } catch { outputError = error }
                }
            } catch {
                writeError(error.description)
                failed = true
            }
            if let outputError { throw CLIError("cannot write output: \(outputError)") }
        }
        try out.flush()
        throw ExitCode(failed ? Status.error : job.findings > 0 ? Status.found : Status.none)
    }
}
