import Foundation
import ConnwatchRules

/// `rules lint`'s warning about patterns that cost too much per line: each rule pattern (and requires,
/// excludes, extract) is run, interpreted as under the service's MemoryDenyWriteExecute, over synthetic
/// worst-case lines of 4 KiB: runs of single characters and the rule's own examples repeated. The match
/// limit holds per start position, so a pattern that backtracks a lot at each of them stays legal and is
/// only caught by measuring.
package struct PatternCostWarning: Sendable, CustomStringConvertible {
    package var at: SourceLocation
    package var ruleID: String
    package var what: String
    package var milliseconds: Double
    var sample: String
    package var description: String {
        "\(at): rule '\(ruleID)': \(what) is expensive: \(String(format: "%.1f", milliseconds)) ms on a 4 KiB line like '\(sample)…' "
            + "(interpreted PCRE2); a 64 KiB line costs 16 to 256 times that, and a line over its "
            + "\(Scanner.defaultLineBudgetNanoseconds / 1_000_000) ms budget loses its later rules"
    }
}

extension RuleSet {
    /// Above this per 4 KiB line a pattern is reported: well-behaved ones take microseconds, the costliest
    /// shipped ones (a lazy `.{0,600}?` gap before alternatives) about 10 ms, and 25 ms per 4 KiB is already
    /// the whole 50 ms line budget at 8 KiB.
    static let expensivePatternMilliseconds = 25.0

    package func expensivePatterns(threshold: Double = RuleSet.expensivePatternMilliseconds) -> [PatternCostWarning] {
        let length = 4096
        let runs = ["a", "Z", "0", " ", ".", "-", "/", ":", "=", "\"", "x", "\t"].map { String(repeating: $0, count: length) }
        let data = PCRE2MatchData()
        data.interpreted = true
        var warnings: [PatternCostWarning] = []
        for compiled in rules {
            let rule = compiled.rule
            let examples = rule.matchExamples.map(\.line).filter { !$0.isEmpty }.map { example in
                String(decoding: String(repeating: example + " ", count: length / (example.utf8.count + 1) + 1).utf8.prefix(length), as: UTF8.self)
            }
            // (pattern, name, where, every match of the line as per_match does, or the first only)
            var checked: [(PCRE2Pattern, String, SourceLocation, Bool)] = []
            for (i, p) in compiled.patterns.enumerated() {
                checked.append((p, "pattern \(i + 1)", rule.patternSources.indices.contains(i) ? rule.patternSources[i] : rule.source, rule.perMatch))
            }
            for (i, p) in compiled.requires.enumerated() { checked.append((p, "requires pattern \(i + 1)", rule.source, false)) }
            for (i, p) in compiled.excludes.enumerated() { checked.append((p, "excludes pattern \(i + 1)", rule.source, false)) }
            for (i, p) in compiled.extract.enumerated() { checked.append((p, "extract pattern \(i + 1)", rule.source, false)) }
            for (pattern, what, at, all) in checked {
                var worst = (0.0, "")
                for line in runs + examples {
                    // The faster of two runs: one slow run may be the machine (caches, frequency), not the pattern.
                    var cost = Self.cost(pattern, line, all: all, data)
                    if cost > threshold { cost = min(cost, Self.cost(pattern, line, all: all, data)) }
                    if cost > worst.0 { worst = (cost, line) }
                }
                if worst.0 > threshold {
                    let sample = String(worst.1.prefix(12)).replacingOccurrences(of: "\t", with: "\\t")
                    warnings.append(PatternCostWarning(at: at, ruleID: rule.id, what: what, milliseconds: worst.0, sample: sample))
                }
            }
        }
        return warnings
    }

    /// CPU milliseconds to find the first match in `line`, or with `all` every match as a per_match rule
    /// does; capped at about 100 ms.
    static func cost(_ pattern: PCRE2Pattern, _ line: String, all: Bool, _ data: PCRE2MatchData) -> Double {
        let bytes = Array(line.utf8)
        // CPU time of this thread, the budget's clock: a busy machine must not make a pattern look expensive.
        let start = data.now()
        data.startBudget(nanoseconds: 100_000_000)
        bytes.withUnsafeBytes { raw in
            var position = 0
            while position <= raw.count, let m = pattern.match(raw, from: position, data) {
                guard all else { break }
                position = max(m.range.upperBound, m.range.lowerBound + 1)
            }
        }
        data.stopBudget()
        return Double(data.now() - start) / 1e6
    }
}
