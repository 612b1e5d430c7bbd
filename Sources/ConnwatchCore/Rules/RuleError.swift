/// A mistake in a rule file, located as precisely as the YAML allows.
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var ruleID: String?
    public var message: String

    public init(file: String, line: Int, ruleID: String? = nil, message: String) {
        self.file = file; self.line = line; self.ruleID = ruleID; self.message = message
    }

    public init(_ at: SourceLocation, ruleID: String? = nil, _ message: String) {
        self.init(file: at.file, line: at.line, ruleID: ruleID, message: message)
    }

    public var description: String {
        if let ruleID { return "\(file):\(line): rule '\(ruleID)': \(message)" }
        return "\(file):\(line): \(message)"
    }
}

/// All the mistakes found in one load, so that `rules lint` reports every one at once.
public struct RuleErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [RuleError]
    public init(_ errors: [RuleError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
