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
