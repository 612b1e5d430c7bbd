import ConnwatchModel

/// A loaded `RuleCatalog` as compact bytes and back, for the compile cache (`CatalogCache` in ConnwatchEngine):
/// composing the shipped YAML through Yams was two thirds of every start's CPU time. It lives beside the types
/// because it builds them with their memberwise initialisers: a field added to one of them without a default
/// stops this file compiling until it is written here too.
/// Layout: integers as 8 bytes little-endian, strings as length + UTF-8, optionals as 0/1 + value, lists as
/// count + elements, dictionaries as lists of (key, value) in sorted key order.
package enum CatalogCodec {
    package static func encode(_ catalog: RuleCatalog) -> [UInt8] {
        var w = Writer()
        w.list(catalog.apps.sorted { $0.key < $1.key }) { w, pair in w.string(pair.key); w.app(pair.value) }
        w.list(catalog.rules) { w, rule in w.rule(rule) }
        w.list(catalog.catalogs.sorted { $0.key < $1.key }) { w, pair in w.string(pair.key); w.catalog(pair.value) }
        w.list(catalog.files) { w, file in w.string(file) }
        return w.bytes
    }

    /// nil unless `bytes` is exactly one well-formed encoded catalog.
    package static func decode(_ bytes: UnsafeRawBufferPointer) -> RuleCatalog? {
        var r = Reader(bytes: bytes)
        var catalog = RuleCatalog()
        guard let apps = r.list({ r -> (String, AppDefinition)? in
                  guard let k = r.string(), let v = r.app() else { return nil }
                  return (k, v)
              }),
              let rules = r.list({ $0.rule() }),
              let catalogs = r.list({ r -> (String, Catalog)? in
                  guard let k = r.string(), let v = r.catalog() else { return nil }
                  return (k, v)
              }),
              let files = r.list({ $0.string() }),
              r.at == bytes.count else { return nil }
        catalog.apps = Dictionary(apps, uniquingKeysWith: { a, _ in a })
        catalog.rules = rules
        catalog.catalogs = Dictionary(catalogs, uniquingKeysWith: { a, _ in a })
        catalog.files = files
        return catalog
    }

    struct Writer {
        var bytes: [UInt8] = []

        mutating func int(_ n: Int) { withUnsafeBytes(of: Int64(n).littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }
        mutating func string(_ s: String) {
            int(s.utf8.count)
            bytes.append(contentsOf: s.utf8)
        }
        mutating func optional<T>(_ value: T?, _ body: (inout Writer, T) -> Void) {
            bool(value != nil)
            if let value { body(&self, value) }
        }
        mutating func list<T>(_ items: [T], _ body: (inout Writer, T) -> Void) {
            int(items.count)
            for item in items { body(&self, item) }
        }
        mutating func strings(_ items: [String]) { list(items) { $0.string($1) } }
        mutating func localized(_ l: Localized) { string(l.en); string(l.ko) }
        mutating func source(_ s: SourceLocation) { string(s.file); int(s.line) }

        mutating func app(_ a: AppDefinition) {
            string(a.id); string(a.name); strings(a.aliases); strings(a.detect); source(a.source)
        }

        mutating func example(_ e: RuleExample) {
            string(e.line)
            optional(e.context) { $0.string($1) }
            optional(e.app) { $0.string($1) }
            list(e.fields.sorted { $0.key < $1.key }) { w, pair in w.string(pair.key); w.string(pair.value) }
            source(e.source)
        }

        mutating func rule(_ r: Rule) {
            string(r.id); string(r.kind.rawValue); string(r.severity.rawValue); localized(r.title); localized(r.remediation)
            strings(r.patterns); bool(r.caseless); strings(r.requires); strings(r.excludes); strings(r.extract)
            optional(r.app) { $0.string($1) }
            list(r.apps) { w, v in
                w.string(v.app)
                w.optional(v.title) { $0.localized($1) }
                w.localized(v.remediation)
                w.optional(v.severity) { $0.string($1.rawValue) }
            }
            bool(r.contextRequired); bool(r.perMatch)
            optional(r.catalog) { $0.string($1) }
            strings(r.supersedes); strings(r.references)
            list(r.matchExamples) { $0.example($1) }
            list(r.noMatchExamples) { $0.example($1) }
            source(r.source)
            list(r.patternSources) { $0.source($1) }
        }

        mutating func catalog(_ c: Catalog) {
            string(c.name)
            optional(c.lookupURL) { $0.string($1) }
            list(c.entries.sorted { $0.key < $1.key }) { w, pair in
                let e = pair.value
                w.string(pair.key)
                w.string(e.key); w.string(e.name); w.string(e.category.rawValue); w.string(e.severity.rawValue)
                w.localized(e.title); w.localized(e.remediation); w.source(e.source)
            }
        }
    }

    /// Every read is bounds-checked and answers nil past the end or on a malformed value.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var at = 0

        mutating func int() -> Int? {
            guard at + 8 <= bytes.count else { return nil }
            defer { at += 8 }
            return Int(exactly: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self)))
        }
        mutating func bool() -> Bool? {
            guard at < bytes.count, bytes[at] <= 1 else { return nil }
            defer { at += 1 }
            return bytes[at] == 1
        }
        mutating func string() -> String? {
            guard let n = int(), n >= 0, n <= bytes.count - at else { return nil }
            defer { at += n }
            return String(validating: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]), as: UTF8.self)
        }
        /// `.some(nil)` for an absent value, nil when malformed.
        mutating func optional<T>(_ body: (inout Reader) -> T?) -> T?? {
            guard let present = bool() else { return nil }
            guard present else { return .some(nil) }
            guard let value = body(&self) else { return nil }
            return .some(value)
        }
        mutating func list<T>(_ body: (inout Reader) -> T?) -> [T]? {
            // Each element takes at least one byte: a count beyond the bytes left is damage, not a huge list.
            guard let n = int(), n >= 0, n <= bytes.count - at else { return nil }
            var items: [T] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                guard let item = body(&self) else { return nil }
                items.append(item)
            }
            return items
        }
        mutating func strings() -> [String]? { list { $0.string() } }
        mutating func optionalString() -> String?? { optional { $0.string() } }
        mutating func raw<T: RawRepresentable>(_: T.Type) -> T? where T.RawValue == String { string().flatMap(T.init(rawValue:)) }
        mutating func localized() -> Localized? {
            guard let en = string(), let ko = string() else { return nil }
            return Localized(en: en, ko: ko)
        }
        mutating func source() -> SourceLocation? {
            guard let file = string(), let line = int() else { return nil }
            return SourceLocation(file: file, line: line)
        }

        mutating func app() -> AppDefinition? {
            guard let id = string(), let name = string(), let aliases = strings(), let detect = strings(),
                  let source = source() else { return nil }
            return AppDefinition(id: id, name: name, aliases: aliases, detect: detect, source: source)
        }

        mutating func example() -> RuleExample? {
            guard let line = string(), let context = optionalString(), let app = optionalString(),
                  let fields = list({ r -> (String, String)? in
                      guard let k = r.string(), let v = r.string() else { return nil }
                      return (k, v)
                  }),
                  let source = source() else { return nil }
            return RuleExample(line: line, context: context, app: app,
                               fields: Dictionary(fields, uniquingKeysWith: { a, _ in a }), source: source)
        }

        mutating func variant() -> AppVariant? {
            guard let app = string(), let title = optional({ $0.localized() }), let remediation = localized(),
                  let severity = optional({ $0.raw(Severity.self) }) else { return nil }
            return AppVariant(app: app, title: title, remediation: remediation, severity: severity)
        }

        mutating func rule() -> Rule? {
            guard let id = string(), let kind = raw(RuleKind.self), let severity = raw(Severity.self),
                  let title = localized(), let remediation = localized(), let patterns = strings(), let caseless = bool(),
                  let requires = strings(), let excludes = strings(), let extract = strings(), let app = optionalString(),
                  let apps = list({ $0.variant() }), let contextRequired = bool(), let perMatch = bool(),
                  let catalog = optionalString(), let supersedes = strings(), let references = strings(),
                  let matchExamples = list({ $0.example() }), let noMatchExamples = list({ $0.example() }),
                  let source = source(), let patternSources = list({ $0.source() }) else { return nil }
            return Rule(id: id, kind: kind, severity: severity, title: title, remediation: remediation, patterns: patterns,
                        caseless: caseless, requires: requires, excludes: excludes, extract: extract, app: app, apps: apps,
                        contextRequired: contextRequired, perMatch: perMatch, catalog: catalog, supersedes: supersedes,
                        references: references, matchExamples: matchExamples, noMatchExamples: noMatchExamples,
                        source: source, patternSources: patternSources)
        }

        mutating func catalog() -> Catalog? {
            guard let name = string(), let lookupURL = optionalString(),
                  let entries = list({ r -> (String, CatalogEntry)? in
                      guard let k = r.string(), let key = r.string(), let name = r.string(), let category = r.raw(Category.self),
                            let severity = r.raw(Severity.self), let title = r.localized(), let remediation = r.localized(),
                            let source = r.source() else { return nil }
                      return (k, CatalogEntry(key: key, name: name, category: category, severity: severity, title: title,
                                              remediation: remediation, source: source))
                  }) else { return nil }
            return Catalog(name: name, lookupURL: lookupURL, entries: Dictionary(entries, uniquingKeysWith: { a, _ in a }))
        }
    }
}
