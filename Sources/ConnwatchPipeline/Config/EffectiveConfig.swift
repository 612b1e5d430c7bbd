import ConnwatchEngine
/// The configuration as connwatch will use it, defaults filled in, as YAML (`connwatch config check`).
package enum EffectiveConfig {
    package static func render(_ c: Config, ruleDirectories: [String], ruleSet: RuleSet) -> String {
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        var y = "# effective configuration (\(c.path ?? "built-in default"))\n"
        y += "state_directory: \(q(c.stateDirectory))\n"
        y += "lang: \(c.lang.rawValue)\nmax_line_bytes: \(c.maxLineBytes)\nshutdown_timeout: \(c.shutdownTimeout)\n"
        y += "rules:  # \(ruleSet.ruleCount) rules, \(ruleSet.patternCount) patterns\n  directories: [\(ruleDirectories.map(q).joined(separator: ", "))]\n"
        y += "inputs:\n"
        for input in c.inputs {
            switch input {
            case .journal(let j):
                y += "  - type: journal\n    name: \(q(j.name))\n"
                switch j.source {
                case .system: y += "    # the system journal\n"
                case .directory(let d): y += "    directory: \(q(d))\n"
                case .files(let f): y += "    files: [\(f.map(q).joined(separator: ", "))]\n"
                }
                y += "    matches: [\(j.matches.map(q).joined(separator: ", "))]\n    start: \(j.start.rawValue)\n"
                if let app = j.app { y += "    app: \(app)\n" }
                if let m = j.multiline { y += multiline(m, q) }
            case .file(let f):
                y += "  - type: file\n    name: \(q(f.name))\n    paths: [\(f.paths.map(q).joined(separator: ", "))]\n"
                y += "    start: \(f.start.rawValue)\n    partial_line_timeout: \(f.partialLineTimeout)\n    max_open_files: \(f.maxOpenFiles)\n    rotate_wait: \(f.rotateWait)\n"
                if let app = f.app { y += "    app: \(app)\n" }
                if let m = f.multiline { y += multiline(m, q) }
            }
        }
        y += "outputs:\n"
        if let so = c.outputs.stdout { y += "  stdout:\n    format: \(so.format)\n" }
        if let f = c.outputs.file {
            y += "  file:\n    path: \(q(f.path))\n    fsync: \(f.fsync.rawValue)\n"
            if f.fsync == .interval { y += "    fsync_interval: \(f.fsyncInterval)\n" }
        }
        if c.outputs.journal { y += "  journal: {}\n" }
        y += "throttle:\n  enabled: \(c.throttle.enabled)\n  window: \(c.throttle.window)\n  max_keys: \(c.throttle.maxKeys)\n"
        if let m = c.metrics { y += "metrics:\n  textfile: \(q(m.path))\n  interval: \(m.interval)\n" }
        return y
    }

    static func multiline(_ m: Multiline, _ q: (String) -> String) -> String {
        var y = "    multiline:\n"
        if !m.formats.isEmpty { y += "      mode: \(m.formats.sorted().map(\.rawValue).joined(separator: ","))\n" }
        if let s = m.start { y += "      start: \(q(s))\n" }
        if let c = m.continuation { y += "      continuation: \(q(c))\n" }
        return y + "      timeout: \(m.timeout)\n      max_lines: \(m.maxLines)\n      max_bytes: \(m.maxBytes)\n"
    }
}
