import CVectorscan
import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchRules
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// Input built to hurt: values that overflow, YAML alias bombs, lines built to multiply findings or work.
@Suite struct HostileInputTests {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    // MARK: max_line_bytes

    @Test(arguments: ["1099511627776", "9223372036854775807", "9223372036854775806", "99999999999999999999", "100", "-1", "64k"])
    func maxLineBytesOutOfRangeIsRejected(value: String) throws {
        do {
            _ = try Config.parse("max_line_bytes: \(value)\n", file: "/etc/c.yaml")
            Issue.record("\(value) accepted")
        } catch {
            #expect(error.errors.count == 1)
            #expect(error.errors[0].description.hasPrefix("/etc/c.yaml:1: 'max_line_bytes' is '\(value)': expected a whole number of bytes from 256 to 16777216"))
        }
        // The library refuses it too, whoever calls it.
        if let v = Int(value) {
            let catalog = try RuleLoader.load(directories: [rulesDirectory(["apps.yaml": appsYAML, "r.yaml": ruleYAML(id: "r", patterns: ["x"])])])
            #expect(throws: RuleErrors.self) { try RuleSet(catalog, maxLineBytes: v) }
        }
    }

    @Test func maxLineBytesInRangeIsTaken() throws {
        #expect(try Config.parse("max_line_bytes: 16777216\n", file: "c").maxLineBytes == 16 << 20)
        #expect(try Config.parse("max_line_bytes: 256\n", file: "c").maxLineBytes == 256)
    }

    // MARK: YAML alias bombs

    /// Nine levels of nine aliases each: 9^9 nodes once expanded, a few hundred bytes written.
    static func aliasBomb(keyUse: Bool) -> String {
        var lines = ["x0: &l0 [a, a, a, a, a, a, a, a, a]"]
        for i in 1...9 { lines.append("x\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 9).joined(separator: ", ") + "]") }
        lines.append(keyUse ? "rules:\n  - {*l9 : 1}" : "rules: *l9")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One pattern written once and repeated by 5000 aliases.
    static let multipliedPattern: String = {
        var s = ruleYAML(id: "connector.many", patterns: ["&p Service (timeout|failure) [0-9]+ x"])
            .replacingOccurrences(of: "- '&p Service (timeout|failure) [0-9]+ x'", with: "- &p 'Service (timeout|failure) [0-9]+ x'")
        s = s.replacingOccurrences(of: "    examples:", with: String(repeating: "      - *p\n", count: 5000) + "    examples:")
        return s
    }()

    @Test func aliasBombsInRuleFilesAreRefusedQuickly() throws {
        for (name, text) in [("keys.yaml", Self.aliasBomb(keyUse: true)), ("values.yaml", Self.aliasBomb(keyUse: false)),
                             ("many.yaml", Self.multipliedPattern)] {
            var errors: [String] = []
            let took = try Self.seconds { errors = try loadErrors(["apps.yaml": appsYAML, name: text]) }
            #expect(took < 2, "\(name) took \(took) s")
            #expect(errors.count == 1, "\(name): \(errors)")
            #expect(errors.first?.hasPrefix(name + ":") == true)
            #expect(errors.first.map { $0.contains("alias") } == true, "\(errors)")
        }
        // The shipped catalog shares lists through aliases: those stay allowed.
        #expect(try RuleLoader.load(directories: [shippedRules]).rules.count > 0)
    }

    @Test func aliasBombInConfigurationIsRefusedWithItsLine() throws {
        let took = Self.seconds {
            #expect(throws: RuleErrors.self) { try Config.parse(Self.aliasBomb(keyUse: true), file: "/etc/c.yaml") }
        }
        #expect(took < 2)
        do { _ = try Config.parse(Self.aliasBomb(keyUse: true), file: "/etc/c.yaml") } catch {
            #expect(error.errors.map(\.description).first?.hasPrefix("/etc/c.yaml:") == true)
            #expect(error.errors[0].line > 0)
        }
    }

    @Test func complexKeysAndOversizedFilesAreRefused() throws {
        let key = try loadErrors(["apps.yaml": appsYAML, "k.yaml": "x: &m {a: 1}\nrules:\n  - {*m : 1}\n"])
        #expect(key == ["k.yaml:3: alias *m of a mapping or list used as a mapping key (keys must be plain strings)"])
        let big = try loadErrors(["apps.yaml": appsYAML, "big.yaml": "# " + String(repeating: "x", count: YAMLInput.maxBytes) + "\n"])
        #expect(big.count == 1 && big[0].hasPrefix("big.yaml:0: ") && big[0].contains("larger than"))
    }

    // MARK: findings per line

    @Test func oneLineWithThousandsOfCodesGivesAFewCappedFindings() throws {
        let ruleSet = try RuleSet.load(directories: [rulesDirectory(["apps.yaml": appsYAML, "codes.yaml": codesYAML, "a.yaml": aadstsRuleYAML])])
        // ~64 KiB of distinct codes.
        var line = "sign-in failed:"
        var code = 1_000_000
        while line.utf8.count < 64 * 1024 - 16 { line += " AADSTS\(code)"; code += 1 }
        var findings: [Finding] = []
        let took = try Self.seconds { findings = try scanBytes(Array((line + "\n").utf8), ruleSet) }
        #expect(findings.count == Scanner.maxFindingsPerLine)
        #expect(findings.allSatisfy { $0.capped })
        var encoded: [UInt8] = []
        for f in findings { JSONLinesEncoder(lang: .en).encode(f, into: &encoded) }
        #expect(encoded.count < 2 << 20, "\(encoded.count) bytes of findings from one line")
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"capped\":true"))
        #expect(took < 5)
        // Below the cap nothing is marked.
        let few = try scanBytes(Array("AADSTS50020 and AADSTS700082\n".utf8), ruleSet)
        #expect(few.count == 2 && few.allSatisfy { !$0.capped })
    }

    // MARK: PCRE2 work per line

    /// Fails at every start position after ~45 000 steps (under the per-call match limit), then matches
    /// only at the very end: seconds for one long line without a total budget.
    static let slowRule = ruleYAML(id: "connector.slow", patterns: ["a{1,300}a{1,300}x|zz[z]end"],
                                   match: ["zzzend"], noMatch: ["aaa"])

    @Test func aLineGetsATotalWorkBudget() throws {
        let ruleSet = try RuleSet.load(directories: [rulesDirectory(["apps.yaml": appsYAML, "s.yaml": Self.slowRule,
                                                                     "t.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout"])])])
        let scanner = Scanner(ruleSet)
        let evil = String(repeating: "a", count: 30_000) + " zzzend\n"
        let text = Array((evil + "Service timeout\n").utf8)
        var findings: [Finding] = []
        let took = Self.seconds {
            text.withUnsafeBytes { raw in
                scanner.scan(raw, bufferOffset: 0, origin: Origin(input: "test"), context: nil) { findings.append($0) }
            }
        }
        #expect(scanner.linesOverBudget == 1)
        #expect(took < 1.5, "\(took) s for two lines")
        // The budget is per line: the next line is evaluated in full.
        #expect(findings.map(\.rule) == ["connector.timeout"])
        // Without the slow prefix the same rule still matches.
        let fine = try scanBytes(Array("zzzend\n".utf8), ruleSet)
        #expect(fine.map(\.rule) == ["connector.slow"])
    }

    @Test func lintNamesPatternsThatAreSlowPerStartPosition() throws {
        let ruleSet = try RuleSet.load(directories: [rulesDirectory(["apps.yaml": appsYAML, "s.yaml": Self.slowRule,
                                                                     "t.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout"])])])
        let warnings = ruleSet.expensivePatterns()
        #expect(warnings.map(\.ruleID) == ["connector.slow"])
        #expect(warnings.first.map { $0.description.contains("s.yaml:8: rule 'connector.slow': pattern 1 is expensive") } == true, "\(warnings)")
        // The shipped catalog has none.
        #expect(try RuleSet.load(directories: [shippedRules]).expensivePatterns().map(\.description) == [])
    }

    // MARK: compiled database cache

    static func cacheFixture() throws -> (RuleCatalog, String) {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("cw-cache-\(UUID().uuidString)").path
        let catalog = try RuleLoader.load(directories: [rulesDirectory(["apps.yaml": appsYAML, "codes.yaml": codesYAML, "a.yaml": aadstsRuleYAML,
                                                                       "t.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout"], extra: "apps:\n  okta: {remediation: {en: r, ko: 조치}}\n  box: {remediation: {en: r, ko: 조치}}",
                                                                                        match: ["Service timeout", "Service timeout calling acme.okta.com"])])])
        return (catalog, cache)
    }

    /// Where the rules' database of `catalog` is cached (the app detectors' one sits beside it).
    static func rulesCachePath(_ catalog: RuleCatalog, _ cache: String) -> DatabaseCache {
        DatabaseCache(directory: cache, expressions: catalog.rules.flatMap { r in
            r.patterns.map { .init(pattern: RuleSet.prefilterForm(of: $0), caseless: r.caseless) } })
    }

    @Test func aForeignDatabaseUnderTheRightNameIsNotUsed() throws {
        let (catalog, cache) = try Self.cacheFixture()
        _ = try RuleSet(catalog, cacheDirectory: cache)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(files.count == 2 + catalog.apps.count, "the rules' database, the prefilter plan and one database per app: \(files)")
        // A database compiled from other expressions (ids 0…9, ten patterns where we have two), stored with
        // our key and a valid digest: only the check against the rules' examples can tell.
        let foreign = (0..<10).map { VectorscanDatabase.Expression(pattern: "e\($0)|Service|AADSTS", caseless: false) }
        let db = try VectorscanDatabase(foreign)
        let real = Self.rulesCachePath(catalog, cache)
        #expect(files.contains((real.path as NSString).lastPathComponent))
        real.store(db.database, prefiltered: [Bool](repeating: false, count: 2))
        if case .database(let loaded, _) = real.load() { hs_free_database(loaded) } else { Issue.record("forged file not loadable: the test proves nothing") }
        let ruleSet = try RuleSet(catalog, cacheDirectory: cache)
        #expect(!ruleSet.fromCache)
        let text = Array("Service timeout\nAADSTS50020 x\n".utf8)
        #expect(try scanBytes(text, ruleSet).map(\.rule) == ["connector.timeout", "aadsts.code"])
        // It was replaced by a good one.
        #expect(try RuleSet(catalog, cacheDirectory: cache).fromCache)
    }

    @Test func aWritableCacheFileOrDirectoryIsNotTrusted() throws {
        let (catalog, cache) = try Self.cacheFixture()
        _ = try RuleSet(catalog, cacheDirectory: cache)
        var st = stat()
        #expect(stat(cache, &st) == 0 && st.st_mode & 0o777 == 0o700)
        let path = Self.rulesCachePath(catalog, cache).path
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(try RuleSet(catalog, cacheDirectory: cache).fromCache)
        chmod(path, 0o666)
        #expect(FileSystem.untrustedReason(path)?.contains("writable by others") == true)
        #expect(try !RuleSet(catalog, cacheDirectory: cache).fromCache)
        // Recompiled and written anew with its mode.
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(try RuleSet(catalog, cacheDirectory: cache).fromCache)
        chmod(cache, 0o777)
        #expect(try !RuleSet(catalog, cacheDirectory: cache).fromCache)
        chmod(cache, 0o700)
        // A symlink in place of the file is not followed.
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("cw-other-\(UUID().uuidString)").path
        try FileManager.default.moveItem(atPath: path, toPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: elsewhere)
        #expect(try !RuleSet(catalog, cacheDirectory: cache).fromCache)
    }

    @Test func theAppDetectorDatabasesAreCachedAndAForgedOneIsNotUsed() throws {
        let (catalog, cache) = try Self.cacheFixture()
        let first = try RuleSet(catalog, cacheDirectory: cache)
        #expect(first.detectorDatabases.keys.sorted() == catalog.apps.keys.sorted())
        #expect(first.detectorDatabases.values.allSatisfy { !$0.fromCache })
        #expect(try RuleSet(catalog, cacheDirectory: cache).detectorDatabases.values.allSatisfy(\.fromCache))
        // Okta's key and count, a valid digest, but patterns that never match: only the check against the
        // rule examples can tell (an example names okta.com).
        let expressions = catalog.apps["okta"]!.detect.map { VectorscanDatabase.Expression(pattern: RuleSet.detectorForm(of: $0), caseless: false) }
        let blind = try VectorscanDatabase(expressions.indices.map { .init(pattern: "zq\($0)never", caseless: false) })
        DatabaseCache(directory: cache, expressions: expressions).store(blind.database, prefiltered: expressions.map { _ in false })
        let checked = try RuleSet(catalog, cacheDirectory: cache)
        #expect(checked.detectorDatabases["okta"]?.fromCache == false)
        #expect(checked.detectorDatabases["box"]?.fromCache == true)
        let findings = try scanBytes(Array("2026-12-01 Service timeout calling acme.okta.com\n".utf8), checked)
        #expect(findings.map(\.app) == ["okta"])
        #expect(try RuleSet(catalog, cacheDirectory: cache).detectorDatabases["okta"]?.fromCache == true)
    }
}
