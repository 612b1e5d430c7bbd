import Foundation
import Yams
import ConnwatchRules
import ConnwatchEngine
import ConnwatchModel

/// `connwatch.yaml`: inputs, outputs, rules and state (see docs/configuration.md).
package struct Config: Sendable, Equatable {
    package enum Start: String, Sendable, CaseIterable { case end, beginning }

    package struct JournalInputConfig: Sendable, Equatable {
        package var name = "journal"
        package var source: JournalSource = .system
        package var matches: [String] = []
        package var start: Start = .end
        package var app: String?
        /// Consecutive entries of one unit and process grouped into events (stack traces logged line by line).
        package var multiline: Multiline?
        package init(name: String = "journal", source: JournalSource = .system, matches: [String] = [], start: Start = .end,
                    app: String? = nil, multiline: Multiline? = nil) {
            self.name = name; self.source = source; self.matches = matches; self.start = start; self.app = app
            self.multiline = multiline
        }
    }

    package struct FileInputConfig: Sendable, Equatable {
        package var name: String
        package var paths: [String]
        package var start: Start = .end
        package var app: String?
        /// A last line without newline is scanned after this long without growth.
        package var partialLineTimeout: Double = 5
        /// Descriptors held open at most; idle files beyond it are closed and reopened when they grow.
        package var maxOpenFiles = 256
        /// Continuation lines grouped into events before matching.
        package var multiline: Multiline?
        /// Seconds a file that left the glob (rotated by rename, deleted) is still followed for late writers.
        package var rotateWait = FileFollower.defaultRotateWait
    }

    package enum Input: Sendable, Equatable {
        case journal(JournalInputConfig)
        case file(FileInputConfig)
        package var name: String {
            switch self { case .journal(let j): return j.name; case .file(let f): return f.name }
        }
        /// The app this input is declared to belong to.
        package var app: String? {
            switch self { case .journal(let j): return j.app; case .file(let f): return f.app }
        }
    }

    package struct StdoutOutputConfig: Sendable, Equatable {
        package var format: String = "json"
        package init(format: String = "json") { self.format = format }
    }

    /// Where findings go; without an `outputs` key, stdout only.
    package struct OutputsConfig: Sendable, Equatable {
        package var stdout: StdoutOutputConfig? = StdoutOutputConfig()
        package var file: FileOutput.Settings?
        package var journal = false
        package init(stdout: StdoutOutputConfig? = StdoutOutputConfig(), file: FileOutput.Settings? = nil, journal: Bool = false) {
            self.stdout = stdout; self.file = file; self.journal = journal
        }
    }

    /// Prometheus text exposition written to `path` every `interval` seconds (node_exporter textfile collector).
    package struct MetricsConfig: Sendable, Equatable {
        package var path: String
        package var interval: TimeInterval = 15
    }

    package var path: String?
    package var stateDirectory: String
    package var ruleDirectories: [String] = []
    package var addRuleDirectories: [String] = []
    package var maxLineBytes = RuleSet.defaultMaxLineBytes
    package var lang: Language = .en
    package var inputs: [Input] = []
    package var outputs = OutputsConfig()
    package var throttle = Throttle.Settings()
    package var metrics: MetricsConfig?
    /// How long a stop keeps retrying a failing output or checkpoint store before it gives up (the unwritten
    /// lines are then read again at the next start). Below systemd's TimeoutStopSec= (10 s in our unit).
    package var shutdownTimeout: TimeInterval = 5

    /// Paths connwatch itself writes: never read back as input.
    package var ownFiles: [String] { [outputs.file?.path, metrics?.path].compactMap { $0 } }

    package static let defaultPath = "/etc/connwatch/connwatch.yaml"

    /// The rule directories this configuration means (its own, else the installed catalog).
    package var resolvedRuleDirectories: [String] {
        RuleDirectories.resolve(explicit: ruleDirectories, extra: addRuleDirectories)
    }

    /// Inputs declaring an app the rules do not define, as messages naming the file and input.
    package func unknownApps(in ruleSet: RuleSet) -> [String] {
        inputs.compactMap { input in
            guard let app = input.app, ruleSet.catalog.apps[app] == nil else { return nil }
            return "\(path ?? "built-in configuration"): input '\(input.name)': unknown app '\(app)' (known: \(ruleSet.catalog.apps.keys.sorted().joined(separator: ", ")))"
        }
    }

    package static func defaultStateDirectory(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        // systemd's StateDirectory= sets STATE_DIRECTORY.
        if let dir = env["STATE_DIRECTORY"], !dir.isEmpty { return String(dir.split(separator: ":")[0]) }
        return "/var/lib/connwatch"
    }

    /// The built-in configuration used when no file exists: the system journal and the usual log files,
    /// from their current end, shipped rules, findings to stdout.
    package static func builtIn(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Config {
        var c = Config(stateDirectory: defaultStateDirectory(env))
        c.inputs = [
            .journal(JournalInputConfig()),
            .file(FileInputConfig(name: "var-log", paths: ["/var/log/*.log", "/var/log/*/*.log"])),
        ]
        c.lang = Language.fromEnvironment(env)
        return c
    }

    /// Reads `path`; a missing file at the default path means the built-in configuration.
    package static func load(path: String?, env: [String: String] = ProcessInfo.processInfo.environment) throws(RuleErrors) -> Config {
        let file = path ?? defaultPath
        guard FileManager.default.fileExists(atPath: file) else {
            if path == nil { return builtIn(env) }
            throw RuleErrors([RuleError(file: file, line: 0, message: "no such configuration file")])
        }
        let text: String
        do { text = try YAMLInput.read(file) } catch { throw RuleErrors([error]) }
        return try parse(text, file: file, env: env)
    }

    package static func parse(_ text: String, file: String, env: [String: String] = [:]) throws(RuleErrors) -> Config {
        var config = Config(path: file, stateDirectory: defaultStateDirectory(env))
        var r = NodeReader(file: file)
        let root: Node?
        do { root = try YAMLInput.compose(text, file: file) } catch { throw RuleErrors([error]) }
        guard let root else { return config }
        let keys = ["state_directory", "rules", "max_line_bytes", "lang", "inputs", "outputs", "throttle", "metrics", "shutdown_timeout"]
        guard let top = r.mapping(root, "the configuration", allowed: keys) else { throw RuleErrors(r.errors) }
        if let n = top["state_directory"], let s = r.nonEmptyString(n, "state_directory") { config.stateDirectory = s }
        if let n = top["shutdown_timeout"] { config.shutdownTimeout = r.seconds(n, "shutdown_timeout", minimum: 0) ?? config.shutdownTimeout }
        if let n = top["lang"], let l = r.enumValue(n, "lang", Language.self) { config.lang = l }
        if let n = top["max_line_bytes"], let s = r.string(n, "max_line_bytes") {
            if let problem = RuleSet.maxLineBytesProblem(s, name: "'max_line_bytes'") { r.fail(n, problem) } else { config.maxLineBytes = Int(s)! }
        }
        if let n = top["rules"], let f = r.mapping(n, "'rules'", allowed: ["directories", "add"]) {
            config.ruleDirectories = f["directories"].flatMap { r.strings($0, "rules.directories") }?.map(\.0) ?? []
            config.addRuleDirectories = f["add"].flatMap { r.strings($0, "rules.add") }?.map(\.0) ?? []
        }
        if let n = top["inputs"] {
            if case .sequence(let seq) = n {
                for item in seq { if let input = parseInput(item, &r) { config.inputs.append(input) } }
                var names = Set<String>()
                for input in config.inputs where !names.insert(input.name).inserted {
                    r.fail(n, "two inputs are named '\(input.name)' (names key the checkpoints: make them unique)")
                }
            } else { r.fail(n, "'inputs' must be a list") }
        }
        if let n = top["outputs"] { config.outputs = parseOutputs(n, &r) }
        if let n = top["throttle"], let f = r.mapping(n, "'throttle'", allowed: ["enabled", "window", "max_keys"]) {
            if let e = f["enabled"], let b = r.bool(e, "throttle.enabled") { config.throttle.enabled = b }
            if let w = f["window"] { config.throttle.window = r.seconds(w, "throttle.window", minimum: 1) ?? config.throttle.window }
            if let m = f["max_keys"], let s = r.string(m, "throttle.max_keys") {
                if let v = Int(s), v >= 1 { config.throttle.maxKeys = v } else { r.fail(m, "'throttle.max_keys' must be a number ≥ 1") }
            }
        }
        if let n = top["metrics"], let f = r.mapping(n, "'metrics'", allowed: ["textfile", "interval"]) {
            if let p = f["textfile"], let path = r.nonEmptyString(p, "metrics.textfile") {
                if !path.hasPrefix("/") { r.fail(p, "'metrics.textfile' must be an absolute path") }
                if !path.hasSuffix(".prom") { r.fail(p, "'metrics.textfile' must end in .prom (node_exporter's textfile collector reads only those)") }
                var m = MetricsConfig(path: path)
                if let i = f["interval"] { m.interval = r.seconds(i, "metrics.interval", minimum: 0.1) ?? m.interval }
                config.metrics = m
            } else if f["textfile"] == nil { r.fail(n, "'metrics' needs 'textfile' (a path ending in .prom)") }
        }
        guard r.errors.isEmpty else { throw RuleErrors(r.errors) }
        return config
    }

    static func parseOutputs(_ node: Node, _ r: inout NodeReader) -> OutputsConfig {
        var o = OutputsConfig(stdout: nil)
        guard let f = r.mapping(node, "'outputs'", allowed: ["stdout", "file", "journal"]) else { return o }
        if let s = f["stdout"] {
            var c = StdoutOutputConfig()
            if case .scalar(let v) = s, v.string.isEmpty || v.string == "~" || v.string == "{}" {
                // `stdout:` alone enables it with defaults.
            } else if let so = r.mapping(s, "'outputs.stdout'", allowed: ["format"]), let fmt = so["format"], let v = r.string(fmt, "outputs.stdout.format") {
                if ["json", "text"].contains(v) { c.format = v } else { r.fail(fmt, "'outputs.stdout.format' is '\(v)', expected json or text") }
            }
            o.stdout = c
        }
        if let n = f["file"], let fo = r.mapping(n, "'outputs.file'", allowed: ["path", "fsync", "fsync_interval"]) {
            if let p = fo["path"], let path = r.nonEmptyString(p, "outputs.file.path") {
                if !path.hasPrefix("/") { r.fail(p, "'outputs.file.path' must be absolute") }
                var settings = FileOutput.Settings(path: path)
                if let x = fo["fsync"], let v = r.enumValue(x, "outputs.file.fsync", FsyncPolicy.self) { settings.fsync = v }
                if let x = fo["fsync_interval"] { settings.fsyncInterval = r.seconds(x, "outputs.file.fsync_interval", minimum: 0.01) ?? settings.fsyncInterval }
                o.file = settings
            } else if fo["path"] == nil { r.fail(n, "'outputs.file' needs 'path'") }
        }
        if let n = f["journal"] {
            if case .scalar(let v) = n, ["", "~", "{}", "true"].contains(v.string) { o.journal = true }
            else if case .scalar(let v) = n, v.string == "false" { o.journal = false }
            else if r.mapping(n, "'outputs.journal'", allowed: []) != nil { o.journal = true }
        }
        if o.stdout == nil && o.file == nil && !o.journal { r.fail(node, "'outputs' names no output (stdout, file, journal)") }
        return o
    }

    /// `multiline: auto` (or a format, or `java,msal`), or a mapping with `mode`, `start`, `continuation`,
    /// `timeout`, `max_lines`, `max_bytes`.
    static func parseMultiline(_ node: Node, _ r: inout NodeReader) -> Multiline? {
        if case .scalar(let v) = node {
            guard let m = Multiline.parse(v.string) else {
                r.fail(node, "'multiline' is '\(v.string)', expected \(Multiline.modeHelp) or a mapping"); return nil
            }
            return m
        }
        guard let f = r.mapping(node, "'multiline'", allowed: ["mode", "start", "continuation", "timeout", "max_lines", "max_bytes"]) else { return nil }
        var m = Multiline(formats: [])
        if let n = f["mode"], let v = r.string(n, "multiline.mode") {
            if let parsed = Multiline.parse(v) { m.formats = parsed.formats } else { r.fail(n, "'multiline.mode' is '\(v)', expected \(Multiline.modeHelp)") }
        }
        for key in ["start", "continuation"] {
            guard let n = f[key], let pattern = r.nonEmptyString(n, "multiline.\(key)") else { continue }
            do { _ = try PCRE2Pattern(pattern) } catch { r.fail(n, "'multiline.\(key)' is not a valid regex: \(error)"); continue }
            if key == "start" { m.start = pattern } else { m.continuation = pattern }
        }
        if f["mode"] == nil && m.start == nil && m.continuation == nil { m.formats = Set(Multiline.Format.allCases) }
        if let n = f["timeout"] { m.timeout = r.seconds(n, "multiline.timeout", minimum: 0.01) ?? m.timeout }
        for (key, minimum) in [("max_lines", 2), ("max_bytes", 256)] {
            guard let n = f[key], let s = r.string(n, "multiline.\(key)") else { continue }
            guard let v = Int(s), v >= minimum else { r.fail(n, "'multiline.\(key)' must be a number ≥ \(minimum)"); continue }
            if key == "max_lines" { m.maxLines = v } else { m.maxBytes = v }
        }
        return m
    }

    static func parseInput(_ node: Node, _ r: inout NodeReader) -> Input? {
        guard case .mapping(let m) = node, let typeNode = m["type"], case .scalar(let t) = typeNode else {
            r.fail(node, "each input needs 'type: journal' or 'type: file'"); return nil
        }
        switch t.string {
        case "journal":
            guard let f = r.mapping(node, "a journal input", allowed: ["type", "name", "directory", "files", "matches", "start", "app", "multiline"]) else { return nil }
            var j = JournalInputConfig()
            if let n = f["name"], let s = r.nonEmptyString(n, "name") { j.name = s }
            if let n = f["directory"], let s = r.nonEmptyString(n, "directory") { j.source = .directory(s) }
            if let n = f["files"], let s = r.strings(n, "files") {
                if f["directory"] != nil { r.fail(n, "use either 'directory' or 'files', not both") }
                j.source = .files(s.map(\.0))
            }
            if let n = f["matches"], let s = r.strings(n, "matches") {
                for (m, loc) in s where !(m.contains("=") && m.first != "=") {
                    r.errors.append(RuleError(loc, "'matches' entry '\(m)' must be FIELD=value"))
                }
                j.matches = s.map(\.0)
            }
            if let n = f["start"], let v = r.enumValue(n, "start", Start.self) { j.start = v }
            if let n = f["app"] { j.app = r.nonEmptyString(n, "app") }
            if let n = f["multiline"] { j.multiline = parseMultiline(n, &r) }
            return .journal(j)
        case "file":
            guard let f = r.mapping(node, "a file input", allowed: ["type", "name", "paths", "start", "app", "partial_line_timeout", "max_open_files", "multiline", "rotate_wait"]) else { return nil }
            guard let pn = f["paths"], let paths = r.strings(pn, "paths"), !paths.isEmpty else {
                if f["paths"] == nil { r.fail(node, "a file input needs 'paths' (globs)") }
                return nil
            }
            for (p, loc) in paths where !p.hasPrefix("/") {
                r.errors.append(RuleError(loc, "'paths' entry '\(p)' must be absolute"))
            }
            var c = FileInputConfig(name: "files", paths: paths.map(\.0))
            if let n = f["name"], let s = r.nonEmptyString(n, "name") { c.name = s }
            if let n = f["start"], let v = r.enumValue(n, "start", Start.self) { c.start = v }
            if let n = f["app"] { c.app = r.nonEmptyString(n, "app") }
            if let n = f["partial_line_timeout"], let s = r.string(n, "partial_line_timeout") {
                if let v = Double(s), v >= 0 { c.partialLineTimeout = v } else { r.fail(n, "'partial_line_timeout' must be seconds ≥ 0") }
            }
            if let n = f["max_open_files"], let s = r.string(n, "max_open_files") {
                if let v = Int(s), v >= 1 { c.maxOpenFiles = v } else { r.fail(n, "'max_open_files' must be a number ≥ 1") }
            }
            if let n = f["multiline"] { c.multiline = parseMultiline(n, &r) }
            if let n = f["rotate_wait"], let s = r.string(n, "rotate_wait") {
                if let v = Double(s), v >= 0 { c.rotateWait = v } else { r.fail(n, "'rotate_wait' must be seconds ≥ 0") }
            }
            return .file(c)
        default:
            r.fail(typeNode, "input type '\(t.string)' is not one of: journal, file")
            return nil
        }
    }
}

extension Config.OutputsConfig {
    /// The outputs this configuration names (stdout, findings file, journal), in that order. Here rather than
    /// in Outputs/ so that outputs know nothing of the configuration that chooses them.
    package func makeOutputs(lang: Language, stdoutEncoder: (any FindingEncoder)? = nil) throws(OutputError) -> [any FindingOutput] {
        var outputs: [any FindingOutput] = []
        if let so = stdout {
            let encoder = stdoutEncoder ?? (so.format == "text" ? TextEncoder(lang: lang, color: false) as any FindingEncoder : JSONLinesEncoder(lang: lang))
            outputs.append(StdoutOutput(encoder: encoder))
        }
        if let file { outputs.append(try FileOutput(file, lang: lang)) }
        if journal { outputs.append(JournalOutput(lang: lang)) }
        return outputs
    }
}
