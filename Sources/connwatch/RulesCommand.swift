import ArgumentParser
import Foundation
import ConnwatchEngine
import ConnwatchModel
import ConnwatchRules

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Work with the rule catalog.",
        subcommands: [Lint.self, List.self, Test.self, Export.self]
    )

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every rule file; errors name the file, line and rule id.")
        @OptionGroup var ruleOptions: RuleOptions
        @Flag(help: "Print the compile time on the last line.")
        var timing = false

        func run() throws {
            let dirs = ruleOptions.directories
            let ruleSet: RuleSet
            do {
                ruleSet = try RuleSet.load(directories: dirs, maxLineBytes: ruleOptions.maxLineBytes)
                let files = ruleSet.catalog.files.count
                print("ok: \(files) file(s) in \(dirs.joined(separator: ", "))")
                // Under MemoryDenyWriteExecute the kernel refuses JIT memory; say which path PCRE2 takes.
                print("PCRE2: " + (ruleSet.usesJIT ? "JIT" : "interpreter (JIT unavailable)"))
                for warning in ruleSet.expensivePatterns() { writeError("warning: \(warning)") }
                print("prefilter: \(ruleSet.literalPrefilteredCount) of \(ruleSet.patternCount) pattern(s) found by required literals, the others by a regex form")
                if ruleSet.prefilteredCount > 0 {
                    print("note: \(ruleSet.prefilteredCount) pattern(s) use Vectorscan's prefilter mode (PCRE2 decides)")
                }
            } catch {
                for e in error.errors { writeError(e.description) }
                writeError("\(error.errors.count) error(s)")
                throw ExitCode(Status.error)
            }
            if timing { try printTiming(ruleSet.catalog) }
        }

        /// Compiles again into an empty compile cache, timed alone (the figure the benchmark reports: a first
        /// start), then starts from that cache, which is what a restart costs.
        func printTiming(_ catalog: RuleCatalog) throws {
            let cache = try FileSystem.makePrivateTemporaryDirectory(prefix: "connwatch-lint")
            defer { try? FileManager.default.removeItem(atPath: cache) }
            let again = try RuleSet(catalog, maxLineBytes: ruleOptions.maxLineBytes, cacheDirectory: cache)
            let cached = try RuleSet(catalog, maxLineBytes: ruleOptions.maxLineBytes, cacheDirectory: cache)
            print(String(format: "compiled %d rules (%d patterns) in %.1f ms; from the compile cache in %.1f ms",
                         again.ruleCount, again.patternCount, again.compileSeconds * 1000, cached.compileSeconds * 1000))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules (a table, or the Markdown catalog document).")
        @OptionGroup var ruleOptions: RuleOptions
        @Option(help: "table or markdown")
        var format: ListFormat = .table

        enum ListFormat: String, ExpressibleByArgument { case table, markdown }

        func run() throws {
            let ruleSet = try ruleOptions.load()
            switch format {
            case .markdown:
                print(CatalogDocument.markdown(ruleSet), terminator: "")
            case .table:
                let rows = ruleSet.catalog.rules.map { r in
                    [r.id, r.kind.rawValue, r.app ?? r.apps.map(\.app).joined(separator: ","), r.severity.rawValue,
                     String(r.patterns.count), r.title.en]
                }
                let header = ["ID", "KIND", "APP", "SEVERITY", "PATTERNS", "TITLE"]
                let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max()! }
                for row in [header] + rows {
                    print(row.indices.map { i in i == row.count - 1 ? row[i] : row[i].padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                        .joined(separator: "  "))
                }
                for c in ruleSet.catalog.catalogs.values.sorted(by: { $0.name < $1.name }) {
                    print("catalog \(c.name): \(c.entries.count) entries")
                }
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every rule's examples.match and examples.no_match.")
        @OptionGroup var ruleOptions: RuleOptions

        func run() throws {
            let ruleSet = try ruleOptions.load()
            let report = RuleTester(ruleSet).run()
            for failure in report.failures { print("FAIL \(failure)") }
            let passed = report.examples - report.failures.count
            print("rules test: \(ruleSet.ruleCount) rules, \(report.examples) examples")
            print("examples: \(passed) passed, \(report.failures.count) failed")
            if !report.failures.isEmpty { throw ExitCode(Status.error) }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the patterns, one per line, for comparisons with other tools.",
            discussion: """
            patterns:  as written, group names removed (for `grep -P -f`; rg needs -P for lookarounds)
            prefilter: what connwatch's Vectorscan database compiles: a pattern's required literals (`\\xHH` for
                       bytes other than letters and digits) or its reduced regex form
            rg:        a form ripgrep's default engine accepts (`rg -f`): lookarounds dropped, so it may match
                       a few more lines than connwatch confirms
            """)
        @OptionGroup var ruleOptions: RuleOptions
        @Option(help: "patterns, prefilter or rg")
        var format: ExportFormat = .patterns

        enum ExportFormat: String, ExpressibleByArgument { case patterns, prefilter, rg }

        func run() throws {
            let ruleSet = try ruleOptions.load()
            var out = ""
            for (rule, written, caseless) in ruleSet.exportedPatterns {
                switch format {
                case .patterns: out += (caseless ? "(?i)" : "") + RuleSet.withoutGroupNames(written) + "\n"
                case .prefilter: out += (caseless ? "(?i)" : "") + RuleSet.prefilterForm(of: written) + "\n"
                case .rg:
                    guard let form = RuleSet.ripgrepForm(of: written, caseless: caseless) else {
                        throw CLIError("rule '\(rule.id)': a pattern has no ripgrep form: \(written)")
                    }
                    out += form + "\n"
                }
            }
            print(out, terminator: "")
        }
    }
}
