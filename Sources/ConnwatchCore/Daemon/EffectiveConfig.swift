/// The configuration as connwatch will use it, defaults filled in, as YAML (`connwatch config check`).
public enum EffectiveConfig {
    public static func render(_ c: Config, ruleDirectories: [String], ruleSet: RuleSet) -> String {
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        var y = "# effective configuration (\(c.path ?? "built-in default"))\n"
        y += "state_directory: \(q(c.stateDirectory))\n"
        y += "lang: \(c.lang.rawValue)\nmax_line_bytes: \(c.maxLineBytes)\n"
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
            case .file(let f):
                y += "  - type: file\n    name: \(q(f.name))\n    paths: [\(f.paths.map(q).joined(separator: ", "))]\n"
                y += "    start: \(f.start.rawValue)\n    partial_line_timeout: \(f.partialLineTimeout)\n    max_open_files: \(f.maxOpenFiles)\n"
                if let app = f.app { y += "    app: \(app)\n" }
            }
        }
        y += "outputs:\n  stdout:\n    format: \(c.stdout.format)\n"
        return y
    }
}
