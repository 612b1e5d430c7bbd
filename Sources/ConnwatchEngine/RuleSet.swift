import Foundation
import ConnwatchRules

/// Finding keys a named group may not take (they would shadow the finding's own fields).
let reservedFieldNames: Set<String> = [
    "schema", "time", "host", "rule", "kind", "app", "candidates", "severity", "title", "remediation", "category",
    "code_name", "reference", "origin", "line", "truncated", "capped", "count", "related", "lang",
]

/// A class, not a struct: the scanner looks rules up per hit line, and copying a struct of this many
/// references cost a retain and a release for each (a tenth of the hit-line work).
final class CompiledRule: @unchecked Sendable {
    let rule: Rule
    let patterns: [PCRE2Pattern]
    let requires: [PCRE2Pattern]
    let excludes: [PCRE2Pattern]
    let extract: [PCRE2Pattern]
    let catalog: Catalog?
    /// Indexes (into RuleSet.rules) of the rules this one supersedes (set once, while the rule set is built).
    var supersedes: [Int] = []

    init(rule: Rule, patterns: [PCRE2Pattern], requires: [PCRE2Pattern], excludes: [PCRE2Pattern], extract: [PCRE2Pattern],
         catalog: Catalog?) {
        self.rule = rule
        self.patterns = patterns
        self.requires = requires
        self.excludes = excludes
        self.extract = extract
        self.catalog = catalog
    }
}

/// The compiled form of a `RuleCatalog`: one Vectorscan database over every pattern of every rule, and the
/// PCRE2 patterns that confirm and extract. Immutable; share it across tasks, give each task a `Scanner`.
package final class RuleSet: @unchecked Sendable {
    package let catalog: RuleCatalog
    let rules: [CompiledRule]
    let database: VectorscanDatabase
    /// Vectorscan expression id → (rule index, pattern index).
    let owners: [(rule: Int, pattern: Int)]
    /// Vectorscan expression id → what that expression is: required literals or a regex form.
    let prefilterChoices: [PrefilterChoice]
    let appDetectors: [String: [PCRE2Pattern]]
    /// Each app's detect patterns in a Vectorscan database of their own (id = index into `appDetectors[app]`),
    /// so that PCRE2 confirms only the detectors a line hit. One database per app, not one for all: the
    /// combined compile took four times the sum of the small ones. No entry: PCRE2 runs that app's detectors.
    let detectorDatabases: [String: VectorscanDatabase]
    let redactor = Redactor()
    package let maxLineBytes: Int
    /// Wall time of the whole compile step, for `rules lint --timing` and the benchmark.
    package let compileSeconds: Double
    package var patternCount: Int { owners.count }
    package var ruleCount: Int { rules.count }
    /// How many patterns Vectorscan took only as a prefilter (PCRE2 decides alone for them).
    package var prefilteredCount: Int { database.prefiltered.filter { $0 }.count }
    /// How many patterns Vectorscan finds by a set of required literals instead of a regex form.
    package var literalPrefilteredCount: Int {
        prefilterChoices.filter { if case .literals = $0 { true } else { false } }.count
    }

    package static let defaultMaxLineBytes = 64 * 1024
    /// What max_line_bytes may be: a reader holds one line plus a chunk, so the top stays far from memory
    /// limits and from integer overflow.
    static let maxLineBytesRange = 256...(16 << 20)

    /// The one check of a max_line_bytes value (configuration key or --max-line-bytes): nil when usable,
    /// else the message, naming `name`.
    package static func maxLineBytesProblem(_ raw: String, name: String) -> String? {
        if let v = Int(raw), maxLineBytesRange.contains(v) { return nil }
        return "\(name) is '\(raw)': expected a whole number of bytes from \(maxLineBytesRange.lowerBound) to \(maxLineBytesRange.upperBound) (16 MiB)"
    }

    /// False when PCRE2 runs interpreted (JIT memory refused, e.g. under MemoryDenyWriteExecute=yes).
    package var usesJIT: Bool { rules.allSatisfy { $0.patterns.allSatisfy(\.usesJIT) } }

    /// Whether the Vectorscan database was loaded from the compile cache.
    var fromCache: Bool { database.fromCache }

    /// `cacheDirectory`: where compiled databases are kept between runs (see `RuleSet.defaultCacheDirectory`).
    package init(_ catalog: RuleCatalog, maxLineBytes: Int = RuleSet.defaultMaxLineBytes,
                cacheDirectory: String? = nil) throws(RuleErrors) {
        let started = DispatchTime.now()
        if let problem = Self.maxLineBytesProblem(String(maxLineBytes), name: "max_line_bytes") {
            throw RuleErrors([RuleError(file: "max_line_bytes", line: 0, message: problem)])
        }
        self.catalog = catalog
        self.maxLineBytes = maxLineBytes
        var errors: [RuleError] = []
        var compiled: [CompiledRule] = []
        var owners: [(Int, Int)] = []
        var sources: [(pattern: String, caseless: Bool)] = [] // per Vectorscan expression

        // One compilation per distinct source: rules share excludes and extracts through YAML aliases, and a
        // compiled pattern is immutable (each match brings its own match data).
        var compiledSources: [String: PCRE2Pattern] = [:]
        func pcre(_ pattern: String, caseless: Bool, at: SourceLocation, rule: String?, what: String) -> PCRE2Pattern? {
            let key = (caseless ? "i:" : "c:") + pattern
            if let shared = compiledSources[key] { return shared }
            do {
                let compiled = try PCRE2Pattern(pattern, caseless: caseless)
                compiledSources[key] = compiled
                return compiled
            } catch {
                errors.append(RuleError(at, ruleID: rule, "\(what) does not compile: PCRE2 error \(error.description)"))
                return nil
            }
        }
        // Interpreted: an empty subject costs nothing to match, and JIT code is made only for patterns a scan runs.
        let probe = PCRE2MatchData()
        probe.interpreted = true
        for rule in catalog.rules {
            var patterns: [PCRE2Pattern] = []
            for (i, source) in rule.patterns.enumerated() {
                let at = rule.patternSources.indices.contains(i) ? rule.patternSources[i] : rule.source
                guard let p = pcre(source, caseless: rule.caseless, at: at, rule: rule.id, what: "pattern \(i + 1)") else { continue }
                if p.matches(UnsafeRawBufferPointer(start: nil, count: 0), probe) {
                    errors.append(RuleError(at, ruleID: rule.id, "pattern \(i + 1) matches an empty line, so it would match every line"))
                    continue
                }
                for (_, name) in p.names where reservedFieldNames.contains(name) {
                    errors.append(RuleError(at, ruleID: rule.id, "pattern \(i + 1): group name '\(name)' is reserved for the finding itself"))
                }
                if rule.catalog != nil, !p.names.contains(where: { $0.name == "code" }) {
                    errors.append(RuleError(at, ruleID: rule.id, "pattern \(i + 1) has no 'code' group, but the rule looks codes up in catalog '\(rule.catalog!)'"))
                }
                owners.append((compiled.count, patterns.count))
                sources.append((source, rule.caseless))
                patterns.append(p)
            }
            let requires = rule.requires.enumerated().compactMap { i, s in
                pcre(s, caseless: rule.caseless, at: rule.source, rule: rule.id, what: "requires pattern \(i + 1)")
            }
            let excludes = rule.excludes.enumerated().compactMap { i, s in
                pcre(s, caseless: rule.caseless, at: rule.source, rule: rule.id, what: "excludes pattern \(i + 1)")
            }
            let extract = rule.extract.enumerated().compactMap { i, s in
                pcre(s, caseless: rule.caseless, at: rule.source, rule: rule.id, what: "extract pattern \(i + 1)")
            }
            for p in extract { for (_, name) in p.names where reservedFieldNames.contains(name) {
                errors.append(RuleError(rule.source, ruleID: rule.id, "extract pattern: group name '\(name)' is reserved for the finding itself"))
            } }
            compiled.append(CompiledRule(rule: rule, patterns: patterns, requires: requires, excludes: excludes, extract: extract,
                                         catalog: rule.catalog.flatMap { catalog.catalogs[$0] }))
        }
        let index = Dictionary(uniqueKeysWithValues: compiled.enumerated().map { ($1.rule.id, $0) })
        for i in compiled.indices { compiled[i].supersedes = compiled[i].rule.supersedes.compactMap { index[$0] } }

        var detectors: [String: [PCRE2Pattern]] = [:]
        for (id, app) in catalog.apps {
            detectors[id] = app.detect.enumerated().compactMap { i, s in
                pcre(s, caseless: false, at: app.source, rule: nil, what: "app '\(id)' detect pattern \(i + 1)")
            }
        }
        guard errors.isEmpty else { throw RuleErrors(errors) }
        guard !sources.isEmpty else {
            throw RuleErrors([RuleError(file: catalog.files.first ?? "(no rule files)", line: 0, message: "no rules loaded")])
        }
        let allPatterns = Set(sources.map(\.pattern) + catalog.apps.values.flatMap(\.detect))
        var plan = PrefilterPlan(allPatterns, cacheDirectory: cacheDirectory)
        // The detectors compile on a second core while the rules compile: a fresh compile is most of a cold start.
        let detectorDatabases = Detached { [detectors, plan] in
            Self.detectorDatabases(catalog, detectors, plan, cacheDirectory: cacheDirectory)
        }
        var choices = sources.map { plan[$0.pattern] }
        func expressions() -> [VectorscanDatabase.Expression] {
            zip(choices, sources).map { .init(pattern: $0.expression, caseless: $1.caseless) }
        }
        do {
            var db = try VectorscanDatabase(expressions(), cacheDirectory: cacheDirectory)
            // A database or plan from the cache is checked against the examples (a foreign plan could blind it),
            // once per cached database file (`CheckStamp`).
            let stamp = db.fromCache ? CheckStamp(cacheDirectory, "rules", db, inputs: Self.checkInputs(compiled)) : nil
            let checked = stamp?.passed == true
            if db.fromCache || plan.fromCache, !checked, let problem = Self.check(db, compiled, owners) {
                cacheLogger.warning("compiled rule cache ignored, recompiling: \(problem)")
                // The plan may be what is wrong: derived again, not read.
                if plan.fromCache {
                    plan = PrefilterPlan(allPatterns, cacheDirectory: cacheDirectory, readCache: false)
                    choices = sources.map { plan[$0.pattern] }
                }
                db = try VectorscanDatabase(expressions(), cacheDirectory: cacheDirectory, readCache: false)
            } else if let stamp, !checked {
                stamp.record()
            }
            database = db
        } catch {
            _ = detectorDatabases.value
            let (r, p) = error.expression >= 0 ? owners[error.expression] : (0, 0)
            let rule = compiled[r].rule
            let at = rule.patternSources.indices.contains(p) ? rule.patternSources[p] : rule.source
            throw RuleErrors([RuleError(at, ruleID: rule.id, "pattern \(p + 1): Vectorscan cannot compile it, not even as a prefilter: \(error.message)")])
        }
        self.rules = compiled
        self.owners = owners
        self.prefilterChoices = choices
        self.appDetectors = detectors
        self.detectorDatabases = detectorDatabases.value
        compileSeconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
    }

    /// Checks a loaded database against the rules' own examples: every pattern PCRE2 matches on a `match`
    /// example must be reported by Vectorscan under its id, and no id may lie beyond the pattern table.
    /// nil when it holds, else what is wrong.
    static func check(_ database: VectorscanDatabase, _ rules: [CompiledRule], _ owners: [(Int, Int)]) -> String? {
        var ids: [Int: [Int: Int]] = [:]
        for (id, o) in owners.enumerated() { ids[o.0, default: [:]][o.1] = id }
        let scratch = VectorscanScratch(database, patternCount: owners.count)
        let data = PCRE2MatchData()
        for (r, rule) in rules.enumerated() {
            for example in rule.rule.matchExamples {
                let line = Array(example.line.utf8)
                let failed: String? = line.withUnsafeBytes { raw in
                    scratch.scan(raw)
                    for (p, pattern) in rule.patterns.enumerated() where pattern.matches(raw, data) {
                        guard let id = ids[r]?[p], scratch.hits.ids.contains(id) else {
                            return "it does not report rule '\(rule.rule.id)' pattern \(p + 1) on its example"
                        }
                    }
                    return nil
                }
                if let failed { return failed }
            }
        }
        return scratch.hits.foreignIDs > 0 ? "it reports pattern ids that do not exist" : nil
    }

    /// What `check` reads besides the database: each rule's patterns (in id order) and its match examples.
    static func checkInputs(_ rules: [CompiledRule]) -> [String] {
        rules.flatMap { r in [r.rule.id, r.rule.caseless ? "caseless" : "case"] + r.patterns.map(\.source) + r.rule.matchExamples.map(\.line) }
    }

    /// The apps' detector databases, cached like the rules' one. Apps have no examples of their own, so a
    /// database loaded from the cache (or compiled from a cached plan) is checked against every rule example: each detector PCRE2 matches on
    /// one must be reported by Vectorscan under its id, else it is compiled afresh.
    static func detectorDatabases(_ catalog: RuleCatalog, _ detectors: [String: [PCRE2Pattern]], _ plan: PrefilterPlan,
                                  cacheDirectory: String?) -> [String: VectorscanDatabase] {
        let lines = catalog.rules.flatMap { r in r.matchExamples.map(\.line) + r.noMatchExamples.map(\.line) }
        let linesDigest = String(CheckStamp.digest(lines), radix: 16)
        let data = PCRE2MatchData()
        var databases: [String: VectorscanDatabase] = [:]
        for (app, patterns) in detectors where !patterns.isEmpty {
            // Every detect pattern compiled (errors were thrown before), so ids line up with `patterns`.
            let expressions = catalog.apps[app]!.detect.map {
                VectorscanDatabase.Expression(pattern: detectorChoice(of: $0, plan[$0]).expression, caseless: false)
            }
            guard let db = try? VectorscanDatabase(expressions, cacheDirectory: cacheDirectory) else { continue }
            guard db.fromCache || plan.fromCache else { databases[app] = db; continue }
            let stamp = db.fromCache ? CheckStamp(cacheDirectory, "detectors \(app)", db, inputs: [linesDigest] + catalog.apps[app]!.detect) : nil
            if stamp?.passed == true { databases[app] = db; continue }
            let scratch = VectorscanScratch(db, patternCount: patterns.count)
            var problem: String?
            for line in lines where problem == nil {
                Array(line.utf8).withUnsafeBytes { raw in
                    scratch.scan(raw)
                    if let missed = patterns.indices.first(where: { patterns[$0].matches(raw, data) && !scratch.hits.ids.contains($0) }) {
                        problem = "it does not report app '\(app)' detect pattern \(missed + 1) on an example line"
                    }
                }
            }
            if problem == nil, scratch.hits.foreignIDs > 0 { problem = "it reports pattern ids that do not exist" }
            if let problem {
                cacheLogger.warning("compiled app detector cache ignored, recompiling: \(problem)")
                // Forms derived again: the cached plan may be what is wrong.
                let derived = catalog.apps[app]!.detect.map { VectorscanDatabase.Expression(pattern: Self.detectorForm(of: $0), caseless: false) }
                databases[app] = try? VectorscanDatabase(derived, cacheDirectory: cacheDirectory, readCache: false)
            } else {
                databases[app] = db
                stamp?.record()
            }
        }
        return databases
    }

    /// Loads rule directories and compiles them in one step; with a cache directory the loaded catalog is
    /// cached too (`CatalogCache`).
    package static func load(directories: [String], maxLineBytes: Int = RuleSet.defaultMaxLineBytes,
                            cacheDirectory: String? = nil) throws(RuleErrors) -> RuleSet {
        try RuleSet(try CatalogCache.load(directories: directories, cacheDirectory: cacheDirectory), maxLineBytes: maxLineBytes,
                    cacheDirectory: cacheDirectory)
    }

    /// `CONNWATCH_CACHE_DIR`, systemd's `CACHE_DIRECTORY`, else `$XDG_CACHE_HOME/connwatch` or
    /// `~/.cache/connwatch`; nil (no cache) when `CONNWATCH_CACHE_DIR` is empty.
    package static func defaultCacheDirectory(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let dir = env["CONNWATCH_CACHE_DIR"] { return dir.isEmpty ? nil : dir }
        if let dir = env["CACHE_DIRECTORY"], !dir.isEmpty { return dir.split(separator: ":").first.map(String.init) }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/connwatch" }
        if let home = env["HOME"], !home.isEmpty { return home + "/.cache/connwatch" }
        return nil
    }

    /// How Vectorscan prefilters a pattern: by a set of strong literals one of which every match contains
    /// (a literal database compiles in a fraction of a regex one's time and scans no slower), else by the
    /// pattern's reduced regex form (see PrefilterReducer).
    package enum PrefilterChoice: Equatable, Sendable {
        case literals([RequiredLiteral])
        case regex(String)

        /// The Vectorscan expression.
        package var expression: String {
            switch self {
            case .literals(let set): RequiredLiterals.expression(set)
            case .regex(let form): form
            }
        }
    }

    package static func prefilterChoice(of pattern: String) -> PrefilterChoice {
        let reduced = PrefilterReducer.reduce(pattern)
        // From the reduced form: its matches end where today's hits do, and a literal counts only with no
        // line end after it up to that end, so a hit keeps its line.
        if let set = RequiredLiterals.strongSet(of: reduced) { return .literals(set) }
        return .regex(reduced)
    }

    /// How an app's detectors database prefilters a detect pattern: by any set of required literals, weak
    /// ones too (see `RequiredLiterals.anySet`), else as the rules' prefilter does. `choice`: the pattern's
    /// `prefilterChoice` (from the plan). Thirteen regex databases took ≈ 90 ms of a fresh compile's CPU.
    package static func detectorChoice(of pattern: String, _ choice: PrefilterChoice) -> PrefilterChoice {
        guard case .regex(let reduced) = choice, let set = RequiredLiterals.anySet(of: reduced) else { return choice }
        return .literals(set)
    }

    /// What an app's detectors database compiles for a detect pattern (see `detectorChoice`).
    package static func detectorForm(of pattern: String) -> String {
        detectorChoice(of: pattern, prefilterChoice(of: pattern)).expression
    }

    /// What Vectorscan compiles for a pattern (see `prefilterChoice`).
    package static func prefilterForm(of pattern: String) -> String { prefilterChoice(of: pattern).expression }

    /// How this rule set's Vectorscan database finds a rule's pattern (`pattern` counts from 1, as `explain`
    /// and findings do); nil for an unknown rule or pattern.
    package func prefilterChoice(rule id: String, pattern: Int) -> PrefilterChoice? {
        guard let r = rules.firstIndex(where: { $0.rule.id == id }),
              let e = owners.firstIndex(where: { $0.rule == r && $0.pattern == pattern - 1 }) else { return nil }
        return prefilterChoices[e]
    }

    /// A form ripgrep's default engine accepts: the prefilter form without any lookaround and without group
    /// names (rg joins all patterns into one regex, where a repeated name is an error). It matches every
    /// line the pattern matches, possibly more; nil when dropping lookarounds would match empty lines.
    package static func ripgrepForm(of pattern: String, caseless: Bool) -> String? {
        let reduced = withoutGroupNames(PrefilterReducer.reduce(pattern, dropAllLookarounds: true))
        guard let check = try? PCRE2Pattern(reduced, caseless: caseless),
              !check.matches(UnsafeRawBufferPointer(start: nil, count: 0), PCRE2MatchData()) else { return nil }
        return (caseless ? "(?i)" : "") + reduced
    }

    /// Named groups turned into plain groups, for other tools (a line count needs no names).
    package static func withoutGroupNames(_ pattern: String) -> String {
        pattern.replacingOccurrences(of: #"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>"#, with: "(?:", options: .regularExpression)
    }

    package func rule(id: String) -> Rule? { rules.first { $0.rule.id == id }?.rule }

    /// Patterns in Vectorscan id order, for `rules export --format patterns`.
    package var exportedPatterns: [(rule: Rule, pattern: String, caseless: Bool)] {
        owners.map { o in (rules[o.rule].rule, rules[o.rule].rule.patterns[o.pattern], rules[o.rule].rule.caseless) }
    }
}

/// A passed check of a database loaded from the compile cache, remembered beside it: the check's answer depends
/// only on that database file (its identity: a rewritten or replaced file is another), on what the check reads
/// (patterns and example lines, `inputs`) and on the executable that checks, and all of them are in the stamp's
/// key. So each cached database is checked once, not at every start (the checks' thousands of matches were a
/// large part of a start from the cache); any change checks again.
struct CheckStamp {
    let file: CacheFile

    init?(_ cacheDirectory: String?, _ what: String, _ database: VectorscanDatabase, inputs: [String]) {
        guard let cacheDirectory, let db = database.cacheIdentity, let exe = CatalogCache.executableIdentity() else { return nil }
        let key = "connwatch-check-stamp 1 \(what)\n\(exe)\ndatabase \(db)\ninputs \(inputs.count) \(String(Self.digest(inputs), radix: 16))\n"
        file = CacheFile(directory: cacheDirectory, key: Array(key.utf8), name: "checked", suffix: "stamp")
    }

    var passed: Bool { if case .content = file.load() { true } else { false } }

    func record() { file.store([UInt8]()) }

    /// One digest of several strings, each with its length (so that no two lists run together alike).
    static func digest(_ strings: [String]) -> UInt64 {
        var bytes: [UInt8] = []
        for s in strings { bytes += Array("\(s.utf8.count):".utf8); bytes += s.utf8 }
        return CacheFile.digest(bytes)
    }
}
