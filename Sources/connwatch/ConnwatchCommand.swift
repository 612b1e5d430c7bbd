import ArgumentParser
import Foundation
import ConnwatchRules
import ConnwatchEngine
import ConnwatchModel

/// Exit status like grep: 0 findings, 1 none, 2 error.
enum Status {
    static let found: Int32 = 0
    static let none: Int32 = 1
    static let error: Int32 = 2
}

struct ConnwatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connwatch",
        abstract: "Finds cloud app connector, Entra ID (AADSTS) and Microsoft Graph authorization errors in logs.",
        subcommands: [ScanCommand.self, ExplainCommand.self, RulesCommand.self, RunCommand.self, ConfigCommand.self, ReportCommand.self]
    )

    /// Usage mistakes exit 2 (not ArgumentParser's 64), so scripts can treat connwatch like grep.
    static func start() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let status = exitCode(for: error)
            if status == .success || status.rawValue == 0 {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = fullMessage(for: error)
            FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
            Foundation.exit(Status.error)
        }
    }
}

struct RuleOptions: ParsableArguments {
    @Option(name: .customLong("rules"), help: ArgumentHelp("Rule directory or file (repeatable); replaces the default catalog.", valueName: "dir"))
    var rules: [String] = []

    @Option(name: .customLong("add-rules"), help: ArgumentHelp("Extra rule directory layered over the catalog (repeatable); overrides rules by id.", valueName: "dir"))
    var addRules: [String] = []

    @Option(name: .customLong("max-line-bytes"), help: "Longer lines are scanned as their first N bytes and marked truncated.")
    var maxLineBytes: Int = RuleSet.defaultMaxLineBytes

    func validate() throws {
        if let problem = RuleSet.maxLineBytesProblem(String(maxLineBytes), name: "--max-line-bytes") { throw ValidationError(problem) }
    }

    var directories: [String] { RuleDirectories.resolve(explicit: rules, extra: addRules) }

    func load() throws -> RuleSet {
        let dirs = directories
        guard !dirs.isEmpty else {
            throw CLIError("no rule directory found: pass --rules DIR, install the catalog, or run from the repository")
        }
        do {
            return try RuleSet.load(directories: dirs, maxLineBytes: maxLineBytes, cacheDirectory: RuleSet.defaultCacheDirectory())
        } catch {
            throw CLIError("invalid rules:\n" + error.description)
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Language: ExpressibleByArgument {}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case json, text
}

func writeError(_ message: String) {
    FileHandle.standardError.write(Data(("connwatch: " + message + "\n").utf8))
}

func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
