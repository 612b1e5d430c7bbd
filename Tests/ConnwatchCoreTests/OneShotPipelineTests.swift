import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// `scan`'s pipeline: one-shot inputs read to their end into the delivery the daemon uses.
@Suite struct OneShotPipelineTests {
    func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cw-oneshot-\(UUID().uuidString).log").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func filesAreReadToTheirEndInOrderAndAnUnreadableOneDoesNotStopTheOthers() throws {
        let dir = try rulesDirectory(["r.yaml": ruleYAML(id: "connector.probe", patterns: [#"probe-(?<n>\d+)"#], match: ["probe-1"])])
        let ruleSet = try RuleSet.load(directories: [dir])
        let first = try temporaryFile("probe-1\nnothing here\nprobe-2\n"), second = try temporaryFile("probe-3\n")
        let missing = "/nonexistent-\(UUID().uuidString)/app.log"
        let out = try temporaryFile("")
        defer { for p in [first, second, out] { try? FileManager.default.removeItem(atPath: p) } }
        let delivery = Delivery(outputs: [try FileOutput(.init(path: out, fsync: .never), lang: .en)],
                                throttle: Throttle(.init(enabled: false)), policy: .writeWhenFull)
        var unreadable: [String] = []
        let input = OneShotFiles(paths: [first, missing, second], job: OneShotScan(ruleSet)) { unreadable.append($0.path) }
        let pipeline = Pipeline(inputs: [input], ruleSet: ruleSet, delivery: delivery)
        #expect(pipeline.descriptors().isEmpty, "a one-shot input is not waited on")

        pipeline.runToEnd()
        _ = try delivery.flush(urgent: true)

        #expect(unreadable == [missing])
        #expect(input.read(into: delivery) == .finished)
        let numbers = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["n"] as? String
        }
        #expect(numbers == ["1", "2", "3"])
        #expect(delivery.delivered == 3)
    }
}
