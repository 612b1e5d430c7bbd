import ConnwatchModel
/// Rule catalog values, as loaded from YAML (see docs/rule-format.md). Compiled forms live in Engine/.

/// Where a value came from, for error messages and `rules list`.
package struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package init(file: String, line: Int) { self.file = file; self.line = line }
    package var description: String { "\(file):\(line)" }
}

package struct AppDefinition: Sendable {
    package var id: String
    package var name: String
    package var aliases: [String]
    package var detect: [String]
    package var source: SourceLocation
}

/// How a rule reads for one of several apps that print the same text.
package struct AppVariant: Sendable {
    package var app: String
    package var title: Localized?
    package var remediation: Localized
    package var severity: Severity?
}

package struct RuleExample: Sendable {
    package var line: String
    /// The app the input is declared to belong to.
    package var context: String?
    /// Expected app of the finding; "unknown" expects candidates.
    package var app: String?
    package var fields: [String: String]
    package var source: SourceLocation
}

package struct Rule: Sendable {
    package var id: String
    package var kind: RuleKind
    package var severity: Severity
    package var title: Localized
    package var remediation: Localized
    package var patterns: [String]
    package var caseless: Bool
    package var requires: [String]
    package var excludes: [String]
    /// Run on a confirmed line only; their named groups add fields found elsewhere on the line.
    package var extract: [String]
    package var app: String?
    package var apps: [AppVariant]
    package var contextRequired: Bool
    package var perMatch: Bool
    package var catalog: String?
    package var supersedes: [String]
    package var references: [String]
    package var matchExamples: [RuleExample]
    package var noMatchExamples: [RuleExample]
    package var source: SourceLocation
    /// Line of each pattern, for compile errors.
    package var patternSources: [SourceLocation]

    /// Every app this rule can name.
    package var appIDs: [String] { app.map { [$0] } ?? apps.map(\.app) }
}

package struct CatalogEntry: Sendable {
    package var key: String
    package var name: String
    package var category: Category
    package var severity: Severity
    package var title: Localized
    package var remediation: Localized
    package var source: SourceLocation
}

package struct Catalog: Sendable {
    package var name: String
    package var lookupURL: String?
    package var entries: [String: CatalogEntry]

    /// The lookup URL with `{code}` filled in (a byte scan: Foundation's search would dominate a finding's cost).
    package func lookupAddress(for key: String) -> String? {
        guard var url = lookupURL else { return nil }
        return url.withUTF8 { u in
            var out: [UInt8] = []
            out.reserveCapacity(u.count + key.utf8.count)
            var i = 0
            while i < u.count {
                // Only a `{` can begin the token: the other bytes are copied without a comparison.
                if u[i] == UInt8(ascii: "{") && UnsafeBufferPointer(rebasing: u[i...]).starts(with: "{code}".utf8) {
                    out.append(contentsOf: key.utf8)
                    i += 6
                } else {
                    out.append(u[i])
                    i += 1
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// Everything loaded from the rule directories, after layering.
package struct RuleCatalog: Sendable {
    package var apps: [String: AppDefinition] = [:]
    package var rules: [Rule] = []
    package var catalogs: [String: Catalog] = [:]
    package var files: [String] = []
    package init() {}
}
