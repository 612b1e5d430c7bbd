/// A mistake in a rule file, located as precisely as the YAML allows.
package struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    package var file: String
    package var line: Int
    package var ruleID: String?
    package var message: String

    package init(file: String, line: Int, ruleID: String? = nil, message: String) {
        self.file = file; self.line = line; self.ruleID = ruleID; self.message = message
    }

    package init(_ at: SourceLocation, ruleID: String? = nil, _ message: String) {
        self.init(file: at.file, line: at.line, ruleID: ruleID, message: message)
    }

    package var description: String {
        if let ruleID { return "\(file):\(line): rule '\(ruleID)': \(message)" }
        return "\(file):\(line): \(message)"
    }
}

/// All the mistakes found in one load, so that `rules lint` reports every one at once.
package struct RuleErrors: Error, Sendable, CustomStringConvertible {
    package var errors: [RuleError]
    package init(_ errors: [RuleError]) { self.errors = errors }
    package var description: String { errors.map(\.description).joined(separator: "\n") }
}
