import ArgumentParser
import Foundation
import ConnwatchModel
import ConnwatchRules
import ConnwatchReports
import ConnwatchPipeline

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarise findings files into a report (default: yesterday, Markdown, to stdout).",
        discussion: """
        FILE may be plain or gzip-compressed (rotated) findings files. Without FILE, the findings file of the
        configuration (outputs.file.path) and its rotated copies are read. Times use the local time zone (TZ).
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case md, html, json
    }

    @Argument(help: "Findings files (JSON lines; .gz and rotated copies welcome).")
    var files: [String] = []

    @Option(help: ArgumentHelp("The local day to report on.", valueName: "YYYY-MM-DD"))
    var date: String?

    @Option(help: ArgumentHelp("Start of the period (RFC 3339, or local 'YYYY-MM-DD[ HH:MM]').", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("End of the period (exclusive; default now).", valueName: "time"))
    var until: String?

    @Option(help: "md, html or json.")
    var format: Format = .md

    @Option(help: "Language of the report's headings: en or ko (default from LANG).")
    var lang: Language?

    @Option(help: ArgumentHelp("Write the report to this file (atomically) instead of stdout.", valueName: "path"))
    var output: String?

    @Option(help: ArgumentHelp("Write the report into this directory as connwatch-report-DATE.EXT.", valueName: "dir"))
    var outputDir: String?

    @Option(help: "Configuration whose findings file to read when no FILE is given (default \(Config.defaultPath)).")
    var config: String?

    func validate() throws {
        if date != nil && (since != nil || until != nil) { throw ValidationError("use --date or --since/--until, not both") }
        if until != nil && since == nil { throw ValidationError("--until needs --since") }
        if output != nil && outputDir != nil { throw ValidationError("use --output or --output-dir, not both") }
    }

    /// RFC 3339, or a local date / date and time (checked field by field: 2026-13-01 is not a date).
    static func parseTime(_ s: String, in zone: TimeZone) -> Date? {
        Timestamp.parse(s) ?? ReportBuilder.localTime(s, in: zone)
    }

    func run() throws {
        let zone = TimeZone.current
        let lang = self.lang ?? Language.fromEnvironment(ProcessInfo.processInfo.environment)
        let label: String
        let start: Date, end: Date
        if let since {
            guard let s = Self.parseTime(since, in: zone) else { throw CLIError("--since '\(since)': not a time (RFC 3339 or YYYY-MM-DD[ HH:MM])") }
            let e: Date
            if let until {
                guard let u = Self.parseTime(until, in: zone) else { throw CLIError("--until '\(until)': not a time (RFC 3339 or YYYY-MM-DD[ HH:MM])") }
                e = u
            } else { e = Date() }
            guard e > s else { throw CLIError("--until must be after --since") }
            (start, end) = (s, e)
            label = Timestamp.iso8601(s).prefix(16).replacingOccurrences(of: ":", with: "")
        } else {
            let day = date ?? ReportBuilder.yesterday(in: zone)
            guard let range = ReportBuilder.day(day, in: zone) else { throw CLIError("--date '\(day)': not a valid date (expected YYYY-MM-DD, a day that exists)") }
            (start, end) = range
            label = day
        }
        var paths = files
        if paths.isEmpty {
            let parsed: Config
            do { parsed = try Config.load(path: config) } catch {
                for e in error.errors { writeError(e.description) }
                throw ExitCode(Status.error)
            }
            guard let findings = parsed.outputs.file?.path else {
                throw CLIError("no FILE given and \(parsed.path ?? "the built-in configuration") has no outputs.file.path")
            }
            paths = ReportBuilder.rotatedFiles(of: findings)
            guard !paths.isEmpty else { throw CLIError("\(findings): no findings file (nor rotated copies) yet") }
        }
        let report: Report
        do {
            report = try ReportBuilder(since: start, until: end, timeZone: zone, lang: lang).build(paths: paths)
        } catch { throw CLIError(error.description) }
        let text: String
        switch format {
        case .md: text = MarkdownReport.render(report, lang: lang)
        case .html: text = HTMLReport.render(report, lang: lang)
        case .json: text = JSONReport.render(report)
        }
        if report.skippedCount > 0 {
            writeError("lines that were not findings: \(report.skippedCount) (first: \(report.skipped.first ?? "?"))")
        }
        let target = output ?? outputDir.map { ($0 as NSString).appendingPathComponent("connwatch-report-\(label).\(format.rawValue)") }
        guard let target else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let dir = (target as NSString).deletingLastPathComponent
        do {
            if !dir.isEmpty { try FileSystem.createDirectory(dir, mode: 0o750) }
            try FileSystem.replaceAtomically(target, with: Array(text.utf8), mode: 0o640, durable: false)
        } catch { throw CLIError("\(error)") }
        print(target)
    }
}
