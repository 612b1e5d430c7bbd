/// The words a finding is made of, shared by rules (which declare them) and findings (which carry them).

package enum RuleKind: String, Sendable, CaseIterable, Codable {
    case connector
    case aadsts
    case graphAuthz = "graph-authz"
}

package enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case info, low, medium, high, critical

    var rank: Int { Severity.allCases.firstIndex(of: self)! }
    package static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

package enum Language: String, Sendable, CaseIterable {
    case en, ko

    /// `LANG=ko_KR.UTF-8` → Korean; anything else → English.
    package static func fromEnvironment(_ env: [String: String]) -> Language {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = env[key], !value.isEmpty {
                return value.lowercased().hasPrefix("ko") ? .ko : .en
            }
        }
        return .en
    }
}

/// A text in every language connwatch speaks.
package struct Localized: Sendable, Equatable {
    package var en: String
    package var ko: String
    package init(en: String, ko: String) { self.en = en; self.ko = ko }
    package subscript(_ lang: Language) -> String { lang == .ko ? ko : en }
}

package enum Category: String, Sendable, CaseIterable {
    case userAction = "user-action"
    case adminConfiguration = "admin-configuration"
    case appRegistration = "app-registration"
    case conditionalAccess = "conditional-access"
    case tokenLifetime = "token-lifetime"
    case transient
    case tenant
}
