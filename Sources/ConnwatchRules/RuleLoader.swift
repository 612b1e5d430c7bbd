import Foundation
import Yams
import ConnwatchModel

/// Reads rule directories into a `RuleCatalog`, layering later directories over earlier ones by id.
package enum RuleLoader {
    static let idPattern = #"^[a-z0-9][a-z0-9._-]*$"#

    /// Loads and validates; throws `RuleErrors` listing every mistake found.
    package static func load(directories: [String]) throws(RuleErrors) -> RuleCatalog {
        var errors: [RuleError] = []
        var catalog = RuleCatalog()
        var ruleIndex: [String: Int] = [:]
        for directory in directories {
            let files: [String]
            do { files = try yamlFiles(in: directory) } catch {
                errors.append(RuleError(file: directory, line: 0, message: "cannot read rules directory: \(error.localizedDescription)"))
                continue
            }
            var layer = FileContents()
            for file in files {
                let text: String
                do { text = try YAMLInput.read(file) } catch { errors.append(error); continue }
                var reader = NodeReader(file: file)
                let contents = reader.parseFile(text)
                errors += reader.errors
                // Same id twice inside one directory is a mistake; across directories it is an override.
                for rule in contents.rules {
                    if let first = layer.rules.first(where: { $0.id == rule.id }) {
                        errors.append(RuleError(rule.source, ruleID: rule.id, "duplicate rule id (first defined at \(first.source))"))
                    } else { layer.rules.append(rule) }
                }
                for app in contents.apps {
                    if let first = layer.apps.first(where: { $0.id == app.id }) {
                        errors.append(RuleError(app.source, "duplicate app id '\(app.id)' (first defined at \(first.source))"))
                    } else { layer.apps.append(app) }
                }
                for part in contents.catalogs {
                    if let i = layer.catalogs.firstIndex(where: { $0.name == part.name }) {
                        for (key, entry) in part.entries {
                            if let first = layer.catalogs[i].entries[key] {
                                errors.append(RuleError(entry.source, "duplicate \(part.name) catalog key '\(key)' (first defined at \(first.source))"))
                            } else { layer.catalogs[i].entries[key] = entry }
                        }
                        if layer.catalogs[i].lookupURL == nil { layer.catalogs[i].lookupURL = part.lookupURL }
                    } else { layer.catalogs.append(part) }
                }
                catalog.files.append(file)
            }
            for app in layer.apps { catalog.apps[app.id] = app }
            for rule in layer.rules {
                if let i = ruleIndex[rule.id] { catalog.rules[i] = rule } else {
                    ruleIndex[rule.id] = catalog.rules.count
                    catalog.rules.append(rule)
                }
            }
            for part in layer.catalogs {
                var merged = catalog.catalogs[part.name] ?? Catalog(name: part.name, lookupURL: nil, entries: [:])
                merged.entries.merge(part.entries) { _, new in new }
                merged.lookupURL = part.lookupURL ?? merged.lookupURL
                catalog.catalogs[part.name] = merged
            }
        }
        errors += crossReferenceErrors(catalog)
        guard errors.isEmpty else { throw RuleErrors(errors) }
        return catalog
    }

    /// Checks that need the whole layered catalog: app ids, catalog names, supersedes targets.
    package static func crossReferenceErrors(_ catalog: RuleCatalog) -> [RuleError] {
        var errors: [RuleError] = []
        let ids = Set(catalog.rules.map(\.id))
        for rule in catalog.rules {
            for app in rule.appIDs where catalog.apps[app] == nil {
                errors.append(RuleError(rule.source, ruleID: rule.id, "unknown app '\(app)' (define it under 'apps:')"))
            }
            if let name = rule.catalog, catalog.catalogs[name] == nil {
                errors.append(RuleError(rule.source, ruleID: rule.id, "unknown catalog '\(name)'"))
            }
            for target in rule.supersedes where !ids.contains(target) {
                errors.append(RuleError(rule.source, ruleID: rule.id, "supersedes unknown rule '\(target)'"))
            }
            for example in rule.matchExamples + rule.noMatchExamples {
                for app in [example.context, example.app].compactMap({ $0 }) where app != "unknown" && catalog.apps[app] == nil {
                    errors.append(RuleError(example.source, ruleID: rule.id, "example names unknown app '\(app)'"))
                }
            }
        }
        return errors
    }

    package static func yamlFiles(in directory: String) throws -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: directory, NSLocalizedDescriptionKey: "no such directory"])
        }
        if !isDir.boolValue { return [directory] }
        guard let walker = fm.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        for case let relative as String in walker where relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") {
            files.append((directory as NSString).appendingPathComponent(relative))
        }
        return files.sorted()
    }
}

package struct FileContents {
    package var apps: [AppDefinition] = []
    package var rules: [Rule] = []
    package var catalogs: [Catalog] = []
}

/// Walks a composed YAML tree, turning shape mistakes into located `RuleError`s.
package struct NodeReader {
    package let file: String
    package var errors: [RuleError] = []
    package var ruleID: String?

    package init(file: String) { self.file = file }

    package func at(_ node: Node) -> SourceLocation { SourceLocation(file: file, line: node.mark?.line ?? 0) }

    package mutating func fail(_ node: Node, _ message: String) {
        errors.append(RuleError(at(node), ruleID: ruleID, message))
    }

    package mutating func parseFile(_ text: String) -> FileContents {
        var contents = FileContents()
        let root: Node?
        do { root = try YAMLInput.compose(text, file: file) } catch { errors.append(error); return contents }
        guard let root else { return contents }
        guard let top = mapping(root, "the file", allowed: ["apps", "rules", "catalog"]) else { return contents }
        if let apps = top["apps"], let entries = mapping(apps, "apps") {
            for (key, value) in entries.ordered { if let app = parseApp(id: key, value) { contents.apps.append(app) } }
        }
        if let rules = top["rules"] {
            if case .sequence(let seq) = rules {
                for node in seq { if let rule = parseRule(node) { contents.rules.append(rule) } }
            } else { fail(rules, "'rules' must be a list") }
        }
        if let node = top["catalog"], let catalog = parseCatalog(node) { contents.catalogs.append(catalog) }
        return contents
    }

    package static func locate(_ error: YamlError, file: String) -> RuleError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return RuleError(file: file, line: mark.line, message: "YAML syntax error: \(problem) (column \(mark.column))")
        case let .duplicatedKeysInMapping(duplicates, context):
            return RuleError(file: file, line: context.mark.line, message: "duplicate key(s) \(duplicates.sorted().joined(separator: ", ")) in one mapping")
        default:
            return RuleError(file: file, line: 0, message: "YAML error: \(error)")
        }
    }

    // MARK: shapes

    package struct Fields {
        var ordered: [(String, Node)]
        package subscript(_ key: String) -> Node? { ordered.first { $0.0 == key }?.1 }
    }

    /// A mapping with string keys; unknown keys are reported when `allowed` is given.
    package mutating func mapping(_ node: Node, _ what: String, allowed: [String]? = nil) -> Fields? {
        guard case .mapping(let map) = node else { fail(node, "\(what) must be a mapping"); return nil }
        var fields = Fields(ordered: [])
        for (keyNode, value) in map {
            guard case .scalar(let key) = keyNode else { fail(keyNode, "keys of \(what) must be plain strings"); continue }
            if let allowed, !allowed.contains(key.string) {
                fail(keyNode, "unknown key '\(key.string)' in \(what) (allowed: \(allowed.joined(separator: ", ")))")
                continue
            }
            fields.ordered.append((key.string, value))
        }
        return fields
    }

    package mutating func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node else { fail(node, "'\(what)' must be a string"); return nil }
        return scalar.string
    }

    package mutating func nonEmptyString(_ node: Node, _ what: String) -> String? {
        guard let s = string(node, what) else { return nil }
        // Scalar by scalar: Foundation's trimmingCharacters bridges every string (a tenth of a start).
        if s.unicodeScalars.allSatisfy({ CharacterSet.whitespaces.contains($0) }) { fail(node, "'\(what)' must not be empty"); return nil }
        return s
    }

    package mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard case .scalar(let scalar) = node, let value = Bool.construct(from: scalar) else {
            fail(node, "'\(what)' must be true or false"); return nil
        }
        return value
    }

    /// A duration: seconds as a number, or with a unit (`500ms`, `30s`, `5m`, `1h`).
    package mutating func seconds(_ node: Node, _ what: String, minimum: Double) -> Double? {
        guard let raw = string(node, what) else { return nil }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var value: Double?
        if let v = Double(raw) { value = v }
        for (suffix, factor) in units where value == nil && raw.hasSuffix(suffix) {
            value = Double(raw.dropLast(suffix.count)).map { $0 * factor }
        }
        guard let value, value >= minimum, value.isFinite else {
            fail(node, "'\(what)' is '\(raw)', expected a duration ≥ \(minimum) s (e.g. 30, 30s, 5m, 1h)"); return nil
        }
        return value
    }

    /// A list of strings, each with its line (a single string is accepted as a list of one).
    package mutating func strings(_ node: Node, _ what: String) -> [(String, SourceLocation)]? {
        switch node {
        case .scalar(let s): return [(s.string, at(node))]
        case .sequence(let seq):
            var out: [(String, SourceLocation)] = []
            for item in seq {
                guard case .scalar(let s) = item else { fail(item, "every item of '\(what)' must be a string"); return nil }
                out.append((s.string, at(item)))
            }
            return out
        default: fail(node, "'\(what)' must be a list of strings"); return nil
        }
    }

    mutating func localized(_ node: Node, _ what: String) -> Localized? {
        guard let fields = mapping(node, "'\(what)'", allowed: ["en", "ko"]) else { return nil }
        var en: String?, ko: String?
        if let n = fields["en"] { en = nonEmptyString(n, "\(what).en") } else { fail(node, "'\(what)' needs 'en'") }
        if let n = fields["ko"] { ko = nonEmptyString(n, "\(what).ko") } else { fail(node, "'\(what)' needs 'ko'") }
        guard let en, let ko else { return nil }
        return Localized(en: en, ko: ko)
    }

    package mutating func enumValue<E: RawRepresentable>(_ node: Node, _ what: String, _: E.Type) -> E?
    where E: CaseIterable, E.RawValue == String {
        guard let raw = string(node, what) else { return nil }
        guard let value = E(rawValue: raw) else {
            fail(node, "'\(what)' is '\(raw)', expected one of: \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    mutating func validID(_ node: Node, _ id: String, _ what: String) -> Bool {
        if id.range(of: RuleLoader.idPattern, options: .regularExpression) == nil {
            fail(node, "\(what) '\(id)' must match \(RuleLoader.idPattern)"); return false
        }
        return true
    }

    // MARK: apps

    mutating func parseApp(id: String, _ node: Node) -> AppDefinition? {
        guard validID(node, id, "app id") else { return nil }
        guard let f = mapping(node, "app '\(id)'", allowed: ["name", "aliases", "detect"]) else { return nil }
        let name = f["name"].flatMap { nonEmptyString($0, "name") }
        if f["name"] == nil { fail(node, "app '\(id)' needs 'name'") }
        let aliases = f["aliases"].flatMap { strings($0, "aliases") }?.map(\.0) ?? []
        let detect = f["detect"].flatMap { strings($0, "detect") }?.map(\.0) ?? []
        if f["detect"] == nil { fail(node, "app '\(id)' needs 'detect' patterns") }
        guard let name else { return nil }
        return AppDefinition(id: id, name: name, aliases: aliases, detect: detect, source: at(node))
    }

    // MARK: rules

    static let ruleKeys = ["id", "kind", "severity", "title", "remediation", "patterns", "caseless", "requires",
                           "excludes", "extract", "app", "apps", "context", "per_match", "catalog", "supersedes", "references", "examples"]

    mutating func parseRule(_ node: Node) -> Rule? {
        ruleID = nil
        defer { ruleID = nil }
        guard case .mapping = node else { fail(node, "each rule must be a mapping"); return nil }
        // Learn the id first so that every later error names the rule.
        if case .mapping(let m) = node, let idNode = m["id"], case .scalar(let s) = idNode { ruleID = s.string }
        guard let f = mapping(node, "a rule", allowed: Self.ruleKeys) else { return nil }
        let before = errors.count
        func required(_ key: String) -> Node? {
            if let n = f[key] { return n }
            fail(node, "missing required key '\(key)'"); return nil
        }
        let idNode = required("id")
        let id = idNode.flatMap { nonEmptyString($0, "id") }
        if let id, let idNode { _ = validID(idNode, id, "rule id") }
        let kind = required("kind").flatMap { enumValue($0, "kind", RuleKind.self) }
        let severity = required("severity").flatMap { enumValue($0, "severity", Severity.self) }
        let title = required("title").flatMap { localized($0, "title") }
        let remediation = required("remediation").flatMap { localized($0, "remediation") }
        let patterns = required("patterns").flatMap { strings($0, "patterns") } ?? []
        if let p = f["patterns"], patterns.isEmpty, case .sequence = p { fail(p, "'patterns' must list at least one pattern") }
        for (pattern, loc) in patterns where pattern.isEmpty { errors.append(RuleError(loc, ruleID: ruleID, "empty pattern")) }
        let caseless = f["caseless"].flatMap { bool($0, "caseless") } ?? false
        let requires = f["requires"].flatMap { strings($0, "requires") }?.map(\.0) ?? []
        let excludes = f["excludes"].flatMap { strings($0, "excludes") }?.map(\.0) ?? []
        let extract = f["extract"].flatMap { strings($0, "extract") }?.map(\.0) ?? []
        let app = f["app"].flatMap { nonEmptyString($0, "app") }
        var variants: [AppVariant] = []
        if let appsNode = f["apps"], let apps = mapping(appsNode, "'apps'") {
            if app != nil { fail(appsNode, "use either 'app' or 'apps', not both") }
            if apps.ordered.isEmpty { fail(appsNode, "'apps' must name at least one app") }
            for (appID, value) in apps.ordered {
                guard let v = mapping(value, "apps.\(appID)", allowed: ["title", "remediation", "severity"]) else { continue }
                let vTitle = v["title"].flatMap { localized($0, "apps.\(appID).title") }
                let vSeverity = v["severity"].flatMap { enumValue($0, "apps.\(appID).severity", Severity.self) }
                guard let r = v["remediation"] else { fail(value, "apps.\(appID) needs 'remediation'"); continue }
                if let vRem = localized(r, "apps.\(appID).remediation") {
                    variants.append(AppVariant(app: appID, title: vTitle, remediation: vRem, severity: vSeverity))
                }
            }
        }
        var contextRequired = false
        if let n = f["context"], let value = string(n, "context") {
            switch value {
            case "any": contextRequired = false
            case "required": contextRequired = true
            default: fail(n, "'context' is '\(value)', expected any or required")
            }
            if contextRequired && app == nil && f["apps"] == nil { fail(n, "'context: required' needs 'app' or 'apps'") }
        }
        let perMatch = f["per_match"].flatMap { bool($0, "per_match") } ?? false
        let catalogName = f["catalog"].flatMap { nonEmptyString($0, "catalog") }
        if let n = f["catalog"], catalogName != nil, !patterns.contains(where: { $0.0.contains("(?<code>") || $0.0.contains("(?P<code>") }) {
            fail(n, "a rule with 'catalog' needs a named group 'code' in its patterns")
        }
        let supersedes = f["supersedes"].flatMap { strings($0, "supersedes") }?.map(\.0) ?? []
        let references = f["references"].flatMap { strings($0, "references") }?.map(\.0) ?? []
        var matches: [RuleExample] = [], noMatches: [RuleExample] = []
        if let exNode = required("examples"), let ex = mapping(exNode, "'examples'", allowed: ["match", "no_match"]) {
            matches = ex["match"].map { examples($0, "examples.match", expectations: true) } ?? []
            noMatches = ex["no_match"].map { examples($0, "examples.no_match", expectations: false) } ?? []
            if matches.isEmpty { fail(exNode, "'examples' needs at least one 'match' line") }
            if noMatches.isEmpty { fail(exNode, "'examples' needs at least one 'no_match' line") }
        }
        guard errors.count == before, let id, let kind, let severity, let title, let remediation else { return nil }
        return Rule(id: id, kind: kind, severity: severity, title: title, remediation: remediation,
                    patterns: patterns.map(\.0), caseless: caseless, requires: requires, excludes: excludes, extract: extract,
                    app: app, apps: variants, contextRequired: contextRequired, perMatch: perMatch,
                    catalog: catalogName, supersedes: supersedes, references: references,
                    matchExamples: matches, noMatchExamples: noMatches, source: at(node),
                    patternSources: patterns.map(\.1))
    }

    package mutating func examples(_ node: Node, _ what: String, expectations: Bool) -> [RuleExample] {
        guard case .sequence(let seq) = node else { fail(node, "'\(what)' must be a list"); return [] }
        var out: [RuleExample] = []
        for item in seq {
            if case .scalar(let s) = item {
                out.append(RuleExample(line: s.string, context: nil, app: nil, fields: [:], source: at(item))); continue
            }
            let allowed = expectations ? ["line", "context", "app", "fields"] : ["line", "context"]
            guard let f = mapping(item, "an item of '\(what)'", allowed: allowed) else { continue }
            guard let lineNode = f["line"], let line = string(lineNode, "line") else {
                if f["line"] == nil { fail(item, "an item of '\(what)' needs 'line'") }
                continue
            }
            var fields: [String: String] = [:]
            if let fn = f["fields"], let fm = mapping(fn, "'fields'") {
                for (k, v) in fm.ordered { if let s = string(v, "fields.\(k)") { fields[k] = s } }
            }
            out.append(RuleExample(line: line, context: f["context"].flatMap { string($0, "context") },
                                   app: f["app"].flatMap { string($0, "app") }, fields: fields, source: at(item)))
        }
        return out
    }

    // MARK: catalogs

    mutating func parseCatalog(_ node: Node) -> Catalog? {
        guard let f = mapping(node, "'catalog'", allowed: ["name", "lookup_url", "entries"]) else { return nil }
        guard let nameNode = f["name"], let name = nonEmptyString(nameNode, "catalog.name") else {
            if f["name"] == nil { fail(node, "'catalog' needs 'name'") }
            return nil
        }
        let lookup = f["lookup_url"].flatMap { nonEmptyString($0, "lookup_url") }
        var catalog = Catalog(name: name, lookupURL: lookup, entries: [:])
        guard let entriesNode = f["entries"], let entries = mapping(entriesNode, "catalog entries") else {
            if f["entries"] == nil { fail(node, "'catalog' needs 'entries'") }
            return catalog
        }
        for (key, value) in entries.ordered {
            ruleID = "\(name):\(key)"
            defer { ruleID = nil }
            guard let e = mapping(value, "entry '\(key)'", allowed: ["name", "category", "severity", "title", "remediation"]) else { continue }
            let before = errors.count
            func required(_ k: String) -> Node? {
                if let n = e[k] { return n }
                fail(value, "missing required key '\(k)'"); return nil
            }
            let entryName = required("name").flatMap { nonEmptyString($0, "name") }
            let category = required("category").flatMap { enumValue($0, "category", Category.self) }
            let severity = required("severity").flatMap { enumValue($0, "severity", Severity.self) }
            let title = required("title").flatMap { localized($0, "title") }
            let remediation = required("remediation").flatMap { localized($0, "remediation") }
            guard errors.count == before, let entryName, let category, let severity, let title, let remediation else { continue }
            catalog.entries[key] = CatalogEntry(key: key, name: entryName, category: category, severity: severity,
                                                title: title, remediation: remediation, source: at(value))
        }
        return catalog
    }
}
