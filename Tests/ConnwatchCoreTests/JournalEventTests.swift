import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// Stack traces logged one journal entry per line: consecutive entries of one process form an event.
@Suite(.enabled(if: JournalFixture.available, "needs systemd-journal-remote (make test installs it)"))
struct JournalEventTests {
    typealias Entry = JournalFixture.Entry

    func input(_ dir: String, multiline: Bool = true, cursor: String? = nil) throws -> JournalInput {
        let reader = try JournalReader(.directory(dir))
        if let cursor { #expect(reader.seekAfter(cursor: cursor)) } else { reader.seekHead() }
        let scanner = Scanner(MultilineEventTests.ruleSet)
        scanner.events = multiline ? try EventBoundaries(Multiline.parse("java")!) : nil
        return JournalInput(reader: reader, scanner: scanner)
    }

    func drain(_ input: JournalInput) -> [Finding] {
        var out: [Finding] = []
        // Two entries per batch: the event spans batches.
        while input.poll(maxBytes: 4096, maxEntries: 2, emit: { out.append($0) }) > 0 {}
        return out
    }

    @Test func consecutiveEntriesOfOneProcessAreOneEvent() throws {
        let dir = try JournalFixture.directory()
        try JournalFixture.write([
            Entry(message: "boot ok", pid: "42"),
            Entry(message: "Office 365 connector: activity poll failed", pid: "42"),
            Entry(message: "java.util.concurrent.ExecutionException: java.lang.IllegalStateException: poll aborted", pid: "42"),
            Entry(message: "\tat com.adallom.appconnector.o365.ActivityPoller.poll(ActivityPoller.java:88)", pid: "42"),
            Entry(message: "Caused by: java.lang.NullPointerException", pid: "42"),
            // Another process right after: never part of the connector's event.
            Entry(message: "Caused by: java.lang.NullPointerException", unit: "other.service", identifier: "other", pid: "77"),
            Entry(message: "next poll in 60 s", pid: "42"),
        ], to: dir + "/a.journal")
        #expect(drain(try input(dir, multiline: false)).isEmpty, "entry by entry, the exception has no connector context")
        let grouped = try input(dir)
        var findings = drain(grouped)
        #expect(findings.count == 1)
        #expect(findings.first?.app == "office365")
        #expect(findings.first?.event?.lines == ["Office 365 connector: activity poll failed",
                                                 "java.util.concurrent.ExecutionException: java.lang.IllegalStateException: poll aborted",
                                                 "\tat com.adallom.appconnector.o365.ActivityPoller.poll(ActivityPoller.java:88)",
                                                 "Caused by: java.lang.NullPointerException"])
        #expect(findings.first?.origin.cursor?.contains(";i=2;") == true, "the origin is the event's first entry")
        #expect(findings.first?.origin.pid == "42")
        // The last event may go on: it is held, and the checkpoint stays before it.
        #expect(grouped.lastCursor?.contains(";i=6;") == true)
        #expect(grouped.nextDeadline() != nil)
        grouped.flushHeld(cut: .timeout) { findings.append($0) }
        #expect(findings.count == 1)
        #expect(grouped.lastCursor?.contains(";i=7;") == true)
        var stamped = try #require(findings.first)
        Enricher(host: "scanner").stamp(&stamped)
        #expect(stamped.sourceHost == "h1")
        #expect(stamped.eventTime == Date(timeIntervalSince1970: 1_763_700_000.001))
    }

    @Test func theSamePIDInAnotherUnitOrProgramIsAnotherProcess() throws {
        // Containers (each its own PID 1) and a journal collected from several programs reuse PIDs: the
        // connector's exception line written by another unit with the same PID is not the connector's.
        let dir = try JournalFixture.directory()
        try JournalFixture.write([
            Entry(message: "Office 365 connector: activity poll failed", unit: "connector.service", pid: "1"),
            Entry(message: "java.lang.NullPointerException", unit: "billing.service", identifier: "billing", pid: "1"),
            Entry(message: "\tat com.example.billing.Run.main(Run.java:3)", unit: "billing.service", identifier: "billing", pid: "1"),
            Entry(message: "Office 365 connector: activity poll failed", unit: "connector.service", identifier: "connector", pid: "1"),
            Entry(message: "Caused by: java.lang.NullPointerException", unit: "connector.service", identifier: "other", pid: "1"),
            Entry(message: "next poll in 60 s", unit: "connector.service", pid: "1"),
        ], to: dir + "/a.journal")
        let grouped = try input(dir)
        var findings = drain(grouped)
        grouped.flushHeld(cut: nil) { findings.append($0) }
        #expect(findings.isEmpty, "no entry of another unit or identifier joined the connector's event: \(findings.map(\.event?.lines))")
        // The same unit, identifier and PID: one event, found.
        let same = try JournalFixture.directory()
        try JournalFixture.write([
            Entry(message: "Office 365 connector: activity poll failed", pid: "1"),
            Entry(message: "java.lang.NullPointerException", pid: "1"),
            Entry(message: "next poll in 60 s", pid: "1"),
        ], to: same + "/a.journal")
        let one = try input(same)
        findings = drain(one)
        one.flushHeld(cut: nil) { findings.append($0) }
        #expect(findings.count == 1)
        #expect(findings.first?.event?.lines.count == 2)
    }

    @Test func anEventOpenAtARestartIsReadWholeAgain() throws {
        let dir = try JournalFixture.directory()
        try JournalFixture.write([
            Entry(message: "boot ok"),
            Entry(message: "Office 365 connector: activity poll failed"),
            Entry(message: "java.lang.IllegalStateException: poll aborted"),
        ], to: dir + "/a.journal")
        let first = try input(dir)
        #expect(drain(first).isEmpty)
        let cursor = try #require(first.lastCursor)
        #expect(cursor.contains(";i=1;"), "the checkpoint is the entry before the open event")
        try JournalFixture.write([
            Entry(message: "Caused by: java.lang.NullPointerException"),
            Entry(message: "\tat com.adallom.appconnector.o365.ActivityPoller.poll(ActivityPoller.java:88)"),
            Entry(message: "next poll in 60 s"),
        ], to: dir + "/b.journal", first: 100)
        let second = try input(dir, cursor: cursor)
        let findings = drain(second)
        #expect(findings.count == 1)
        #expect(findings.first?.event?.lines.count == 4)
        #expect(findings.first?.event?.lines.first == "Office 365 connector: activity poll failed")
    }
}
