/// Rule catalog values, as loaded from YAML (see docs/rule-format.md). Compiled forms live in Engine/.

public enum RuleKind: String, Sendable, CaseIterable, Codable {
    case connector
    case aadsts
    case graphAuthz = "graph-authz"
}

public enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case info, low, medium, high, critical

    var rank: Int { Severity.allCases.firstIndex(of: self)! }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

public enum Language: String, Sendable, CaseIterable {
    case en, ko

    /// `LANG=ko_KR.UTF-8` → Korean; anything else → English.
    public static func fromEnvironment(_ env: [String: String]) -> Language {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = env[key], !value.isEmpty {
                return value.lowercased().hasPrefix("ko") ? .ko : .en
            }
        }
        return .en
    }
}

/// A text in every language connwatch speaks.
public struct Localized: Sendable, Equatable {
    public var en: String
    public var ko: String
    public init(en: String, ko: String) { self.en = en; self.ko = ko }
    public subscript(_ lang: Language) -> String { lang == .ko ? ko : en }
}

/// Where a value came from, for error messages and `rules list`.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) { self.file = file; self.line = line }
    public var description: String { "\(file):\(line)" }
}

public enum Category: String, Sendable, CaseIterable {
    case userAction = "user-action"
    case adminConfiguration = "admin-configuration"
    case appRegistration = "app-registration"
    case conditionalAccess = "conditional-access"
    case tokenLifetime = "token-lifetime"
    case transient
    case tenant
}

public struct AppDefinition: Sendable {
    public var id: String
    public var name: String
    public var aliases: [String]
    public var detect: [String]
    public var source: SourceLocation
}

/// How a rule reads for one of several apps that print the same text.
public struct AppVariant: Sendable {
    public var app: String
    public var title: Localized?
    public var remediation: Localized
    public var severity: Severity?
}

public struct RuleExample: Sendable {
    public var line: String
    /// The app the input is declared to belong to.
    public var context: String?
    /// Expected app of the finding; "unknown" expects candidates.
    public var app: String?
    public var fields: [String: String]
    public var source: SourceLocation
}

public struct Rule: Sendable {
    public var id: String
    public var kind: RuleKind
    public var severity: Severity
    public var title: Localized
    public var remediation: Localized
    public var patterns: [String]
    public var caseless: Bool
    public var requires: [String]
    public var excludes: [String]
    /// Run on a confirmed line only; their named groups add fields found elsewhere on the line.
    public var extract: [String]
    public var app: String?
    public var apps: [AppVariant]
    public var contextRequired: Bool
    public var perMatch: Bool
    public var catalog: String?
    public var supersedes: [String]
    public var references: [String]
    public var matchExamples: [RuleExample]
    public var noMatchExamples: [RuleExample]
    public var source: SourceLocation
    /// Line of each pattern, for compile errors.
    public var patternSources: [SourceLocation]

    /// Every app this rule can name.
    public var appIDs: [String] { app.map { [$0] } ?? apps.map(\.app) }
}

public struct CatalogEntry: Sendable {
    public var key: String
    public var name: String
    public var category: Category
    public var severity: Severity
    public var title: Localized
    public var remediation: Localized
    public var source: SourceLocation
}

public struct Catalog: Sendable {
    public var name: String
    public var lookupURL: String?
    public var entries: [String: CatalogEntry]

    /// The lookup URL with `{code}` filled in (a byte scan: Foundation's search would dominate a finding's cost).
    public func lookupAddress(for key: String) -> String? {
        guard let url = lookupURL else { return nil }
        let u = Array(url.utf8), token = Array("{code}".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            if i + token.count <= u.count && u[i..<i + token.count].elementsEqual(token) {
                out.append(contentsOf: key.utf8)
                i += token.count
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Everything loaded from the rule directories, after layering.
public struct RuleCatalog: Sendable {
    public var apps: [String: AppDefinition] = [:]
    public var rules: [Rule] = []
    public var catalogs: [String: Catalog] = [:]
    public var files: [String] = []
    public init() {}
}
