import Foundation
import Testing
@testable import ConnwatchEngine
@testable import ConnwatchDaemon

/// Every input the fuzzers (Fuzz/) found or were seeded with as hostile, replayed through the same entry
/// points: none may trap, and none may take long.
@Suite struct FuzzRegressionTests {
    static func inputs(_ target: String) throws -> [String] {
        let dir = repositoryRoot + "/Fuzz/regressions/" + target
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { dir + "/" + $0 }
    }

    @Test(arguments: ["rules", "config", "scanner"])
    func regressionsStayFixed(target: String) throws {
        let files = try Self.inputs(target)
        #expect(!files.isEmpty)
        let ruleSet = target == "scanner" ? try RuleSet.load(directories: [shippedRules], maxLineBytes: 4096) : nil
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            let start = DispatchTime.now().uptimeNanoseconds
            bytes.withUnsafeBytes { raw in
                switch target {
                case "rules": FuzzTargets.rules(raw)
                case "config": FuzzTargets.config(raw)
                default: FuzzTargets.scanner(raw, ruleSet!)
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            #expect(seconds < 5, "\(file) took \(seconds) s")
        }
    }
}
