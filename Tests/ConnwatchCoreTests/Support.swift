import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// Foundation has a `Scanner` too; in these tests the name means the engine's.
typealias Scanner = ConnwatchEngine.Scanner

/// A temporary rules directory built from (relative path → YAML text).
func rulesDirectory(_ files: [String: String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-rules-\(UUID().uuidString)").path
    for (name, text) in files {
        let path = (dir as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    return dir
}

/// The repository root (…/Tests/ConnwatchCoreTests/Support.swift → …).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let shippedRules = repositoryRoot + "/Rules"
/// ../shared beside the clone (CI); absent on a user's machine.
let sharedCorpus = (repositoryRoot as NSString).deletingLastPathComponent + "/shared/corpus"

let appsYAML = """
apps:
  okta:
    name: Okta
    detect: ['\\.okta\\.com\\b', '(?i)\\bokta\\b']
  office365:
    name: Microsoft 365
    detect: ['(?i)\\boffice ?365\\b', 'outlook\\.office365\\.com']
  exchange-online:
    name: Exchange Online
    detect: ['(?i)\\bexchange online\\b']
  box:
    name: Box
    detect: ['com\\.box\\.']
"""

let codesYAML = """
catalog:
  name: aadsts
  lookup_url: 'https://login.microsoftonline.com/error?code={code}'
  entries:
    "50020":
      name: UserUnauthorized
      category: user-action
      severity: medium
      title: {en: short code, ko: 짧은 코드}
      remediation: {en: fix 50020, ko: 50020 조치}
    "500208":
      name: DomainNotValid
      category: tenant
      severity: low
      title: {en: long code, ko: 긴 코드}
      remediation: {en: fix 500208, ko: 500208 조치}
    "70008":
      name: ExpiredOrRevokedGrant
      category: token-lifetime
      severity: medium
      title: {en: grant expired, ko: 권한 부여 만료}
      remediation: {en: sign in again, ko: 다시 로그인하세요}
"""

/// A rule file with one rule; `extra` is appended inside the rule mapping.
func ruleYAML(id: String, kind: String = "connector", patterns: [String], extra: String = "",
              match: [String] = ["x"], noMatch: [String] = ["y"]) -> String {
    var s = """
    rules:
      - id: \(id)
        kind: \(kind)
        severity: high
        title: {en: T \(id), ko: 제목 \(id)}
        remediation: {en: R \(id), ko: 조치 \(id)}
        patterns:

    """
    for p in patterns { s += "      - '\(p.replacingOccurrences(of: "'", with: "''"))'\n" }
    if !extra.isEmpty { s += extra.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n" }
    s += "    examples:\n      match:\n"
    for m in match { s += "        - '\(m.replacingOccurrences(of: "'", with: "''"))'\n" }
    s += "      no_match:\n"
    for m in noMatch { s += "        - '\(m.replacingOccurrences(of: "'", with: "''"))'\n" }
    return s
}

let aadstsRuleYAML = ruleYAML(id: "aadsts.code", kind: "aadsts", patterns: [#"AADSTS(?<code>\d{5,7})(?!\d)"#],
                              extra: "per_match: true\ncatalog: aadsts")

/// Scans bytes the way `connwatch scan` does (ChunkReader + Scanner) with a chosen chunk size.
/// With `multiline`, continuation lines are grouped into events as `scan --multiline` does.
func scanBytes(_ bytes: [UInt8], _ ruleSet: RuleSet, context: String? = nil, chunkBytes: Int = 1 << 20,
               multiline: Multiline? = nil) throws -> [Finding] {
    struct ArraySource: ByteSource {
        var bytes: [UInt8]; var position = 0; let step: Int
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
            let n = min(buffer.count, bytes.count - position, step)
            guard n > 0 else { return 0 }
            bytes.withUnsafeBytes { src in buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n) }
            position += n
            return n
        }
    }
    var source = ArraySource(bytes: bytes, step: chunkBytes)
    let scanner = Scanner(ruleSet)
    scanner.events = try multiline.map { try EventBoundaries($0) }
    var reader = ChunkReader(chunkBytes: chunkBytes, maxLineBytes: ruleSet.maxLineBytes, events: scanner.events)
    defer { reader.deallocate() }
    var findings: [Finding] = []
    try reader.run(&source) { buffer, offset, truncated in
        scanner.scan(buffer, bufferOffset: offset, origin: Origin(input: "test"), context: context, lastLineTruncated: truncated) {
            findings.append($0)
        }
    }
    return findings
}

func loadErrors(_ files: [String: String]) throws -> [String] {
    let dir = try rulesDirectory(files)
    do {
        _ = try RuleSet.load(directories: [dir])
        return []
    } catch {
        return error.errors.map { $0.description.replacingOccurrences(of: dir + "/", with: "") }
    }
}

/// gzip(1) compresses `path` into `path.gz` (one member, level 6): a real archive, not one of our own making.
@discardableResult
func gzipFile(_ path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "gzip -c -6 \"$0\" > \"$0.gz\"", path]
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    return path + ".gz"
}
