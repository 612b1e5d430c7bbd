import Foundation
import ConnwatchModel
import ConnwatchRules
import ConnwatchEngine
import ConnwatchPipeline

/// What the fuzzers (Fuzz/, `make fuzz`) feed their bytes to, and what the regression test replays the
/// inputs they found (Fuzz/regressions/) through: the rule loader, the configuration parser, the scanner.
/// Each runs the whole path an operator's file or a log line takes; any trap is a bug.
package enum FuzzTargets {
    /// One rule file: bounds, YAML, the rule shapes; a small valid set is compiled and its examples scanned.
    package static func rules(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        var reader = NodeReader(file: "fuzz.yaml")
        let contents = reader.parseFile(text)
        guard reader.errors.isEmpty, !contents.rules.isEmpty, contents.rules.count <= 4 else { return }
        var catalog = RuleCatalog()
        for app in contents.apps { catalog.apps[app.id] = app }
        catalog.rules = contents.rules
        for part in contents.catalogs { catalog.catalogs[part.name] = part }
        guard RuleLoader.crossReferenceErrors(catalog).isEmpty,
              let ruleSet = try? RuleSet(catalog, maxLineBytes: 4096) else { return }
        let scanner = Scanner(ruleSet)
        for rule in contents.rules {
            for example in rule.matchExamples + rule.noMatchExamples {
                _ = scanner.explain(line: Array(example.line.utf8), context: example.context)
            }
        }
    }

    /// One configuration file.
    package static func config(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        guard let config = try? Config.parse(text, file: "fuzz.yaml") else { return }
        _ = config.ownFiles
    }

    /// A buffer of log lines through the shipped catalog, in small reads as a pipe delivers them, each
    /// finding encoded as JSON and text; the first line also through `explain`.
    package static func scanner(_ bytes: UnsafeRawBufferPointer, _ ruleSet: RuleSet) {
        let scanner = Scanner(ruleSet)
        var source = BytesSource(bytes: bytes)
        var reader = ChunkReader(chunkBytes: 4096, maxLineBytes: ruleSet.maxLineBytes)
        defer { reader.deallocate() }
        var out: [UInt8] = []
        let json = JSONLinesEncoder(lang: .en), text = TextEncoder(lang: .ko, color: false)
        try? reader.run(&source) { buffer, offset, truncated in
            scanner.scan(buffer, bufferOffset: offset, origin: Origin(input: "fuzz"), context: nil, lastLineTruncated: truncated) { f in
                json.encode(f, into: &out)
                text.encode(f, into: &out)
                out.removeAll(keepingCapacity: true)
            }
        }
        let first = bytes.prefix { $0 != 0x0A }
        _ = scanner.explain(line: Array(first), context: "okta")
    }

    /// The shipped catalog, compiled once per process.
    package static let shippedRuleSet: RuleSet? = {
        let env = ProcessInfo.processInfo.environment
        let dirs = env["CONNWATCH_RULES_DIR"].map { [$0] } ?? RuleDirectories.resolve(explicit: [], extra: [])
        return try? RuleSet.load(directories: dirs, maxLineBytes: 4096)
    }()

    struct BytesSource: ByteSource {
        let bytes: UnsafeRawBufferPointer
        var position = 0
        mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
            // Reads of up to 700 bytes: lines cut across reads, as from a pipe.
            let n = min(buffer.count, bytes.count - position, 700)
            guard n > 0 else { return 0 }
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)]))
            position += n
            return n
        }
    }
}
