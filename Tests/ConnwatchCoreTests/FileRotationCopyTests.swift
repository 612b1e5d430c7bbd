import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// logrotate `copytruncate` (and `cp` beside a followed log): the copy is a new inode holding the bytes already
/// read. It is recognised by its name (a rotated name of the file) and content (first bytes, bytes before the
/// offset read), and read from where the original was read up to: never again from 0, and the lines written
/// between the last read and the truncation are read from it, whether the glob matches the copy or not, and
/// whether connwatch saw the copy before the truncation, after it, or after a restart.
extension FileRotationTests {
    /// Copies `name` to `copy` the way logrotate's copytruncate does, then truncates `name`.
    func copytruncate(_ name: String = "app.log", to copy: String = "app.log.1", pumpBetween: (() -> Void)? = nil) throws {
        try FileManager.default.copyItem(atPath: dir + "/" + name, toPath: dir + "/" + copy)
        pumpBetween?()
        truncate(dir + "/" + name, 0)
    }

    @Test(arguments: [("app.log*", false), ("app.log*", true), ("app.log", false), ("app.log", true)])
    func copytruncateReadsTheCopyOnFromTheOffset(glob: String, copySeenBeforeTruncation: Bool) throws {
        let f = try t.follower(glob, rotateWait: 0)
        let tally = Tally()
        t.append("app.log", lines(0..<50))
        pump(f, tally)
        t.append("app.log", lines(50..<60))      // written, not read yet when logrotate copies and truncates
        try copytruncate(pumpBetween: copySeenBeforeTruncation ? { pump(f, tally) } : nil)
        t.append("app.log", lines(1000..<1010))
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(0..<60) == 0 && tally.lostCount(1000..<1010) == 0 }
        pump(f, tally)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
        // Read before the copy: the copy adds nothing. Else the ten unread lines come from the copy.
        #expect(tally.lost(0..<60).isEmpty && tally.lost(1000..<1010).isEmpty)
    }

    /// logrotate copies, the application writes on and connwatch reads those lines too, then logrotate truncates:
    /// the copy is shorter than what was read of its original. Looked at before that truncation is noticed, it holds
    /// only bytes already read: read from its end, not again from 0 (a real logrotate run read such a copy's 190
    /// lines twice: compared with the followed file, which no longer held them, it was taken for a new file).
    @Test(arguments: ["app.log*", "app.log"])
    func copyShorterThanWhatWasReadIsSkippedBeforeTheTruncationIsNoticed(glob: String) throws {
        let f = try t.follower(glob, rotateWait: 0)
        let tally = Tally()
        t.append("app.log", lines(0..<50))
        pump(f, tally)
        // logrotate's copy, made outside the directory so that the follower does not see it before the truncation.
        let aside = dir + "/aside"
        try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/app.log", toPath: aside + "/app.log.1")
        t.append("app.log", lines(50..<60))
        pump(f, tally)
        truncate(dir + "/app.log", 0)
        t.append("app.log", lines(1000..<1003))
        rename(aside + "/app.log.1", dir + "/app.log.1")
        let fd = open(dir + "/app.log.1", O_RDONLY)
        defer { close(fd) }
        var st = stat()
        #expect(fstat(fd, &st) == 0)
        let copy = FollowedFile(key: FileKey(st), path: dir + "/app.log.1", offset: 0)
        let verdict = f.copyCheck(copy, fd: fd, size: UInt64(st.st_size), now: Date())
        guard case .skip = verdict else { Issue.record("verdict \(verdict), not skip"); return }
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(1000..<1003) == 0 }
        pump(f, tally)
        #expect(tally.lost(0..<60).isEmpty && tally.lost(1000..<1003).isEmpty)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
    }

    /// logrotate's rotation chain with copytruncate + delaycompress and a glob matching the rotated names: at each
    /// turn app.log.1 becomes app.log.2 (a rename: known) and app.log is copied to app.log.1 and truncated.
    @Test func copytruncateChainInTheGlobNeverRereads() throws {
        let f = try t.follower("app.log*", rotateWait: 0)
        let tally = Tally()
        var n = 0
        for round in 0..<8 {
            t.append("app.log", lines(n..<(n + 20))); n += 20
            if round % 2 == 0 { pump(f, tally) }
            unlink(dir + "/app.log.3")
            rename(dir + "/app.log.2", dir + "/app.log.3")
            rename(dir + "/app.log.1", dir + "/app.log.2")
            try copytruncate()
        }
        t.append("app.log", lines(n..<(n + 5))); n += 5
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(0..<n) == 0 }
        pump(f, tally)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
        // Unread rounds were copied and renamed twice before the follower looked again: still in app.log.2/3.
        #expect(tally.lost(0..<n).isEmpty)
    }

    /// copytruncate while connwatch is stopped: the restart resumes the copy from the checkpoint's offset (its
    /// unread tail is read once) and reads the truncated file from 0. With glob app.log the copy is found by the
    /// start-up sweep (born after the saved listing moment).
    @Test(arguments: ["app.log*", "app.log"])
    func copytruncateWhileStoppedResumesTheCopy(glob: String) throws {
        let first = try t.follower(glob)
        let tally = Tally()
        t.append("app.log", lines(0..<30))
        pump(first, tally)
        let saved = first.checkpoints
        let seen = first.seenThroughNanoseconds
        t.append("app.log", lines(30..<40))
        tickPast("app.log")
        try copytruncate()
        t.append("app.log", lines(1000..<1005))
        let second = try t.follower(glob, checkpoints: saved, rotateWait: 0, seenThrough: seen)
        pumpAsTheDaemonDoes(second, tally) { tally.lostCount(0..<40) == 0 && tally.lostCount(1000..<1005) == 0 }
        pump(second, tally)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
        #expect(tally.lost(0..<40).isEmpty && tally.lost(1000..<1005).isEmpty)
    }

    /// A partial last line (no newline yet) held when logrotate copies and truncates: scanned once when the
    /// truncation is noticed, and the copy (which ends with it) goes on after it, not repeating it.
    @Test(arguments: [("app.log*", false), ("app.log*", true), ("app.log", false)])
    func partialLastLineAtCopytruncateIsReadOnce(glob: String, copySeenBeforeTruncation: Bool) throws {
        let f = try t.follower(glob, rotateWait: 0)
        let tally = Tally()
        t.append("app.log", lines(0..<10) + "HIT 10")
        pump(f, tally)
        #expect(tally.lostCount(10..<11) == 1, "held: no newline yet")
        try copytruncate(pumpBetween: copySeenBeforeTruncation ? { pump(f, tally) } : nil)
        t.append("app.log", "\n" + lines(11..<20))
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(0..<20) == 0 }
        pump(f, tally)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
        #expect(tally.lost(0..<20).isEmpty)
    }

    /// How far the copy had got when connwatch stopped (SIGTERM: the checkpoints are saved as they are).
    enum CopyAtStop: String, CaseIterable, CustomTestStringConvertible {
        /// Seen before logrotate truncated its original: held, not read.
        case held
        /// Held, then released by the truncation (noticed while reading the original), not read yet.
        case released
        /// Not looked at; the original was read on past the copy (lines logrotate writes into no file) and its
        /// truncation noticed.
        case unseen
        var testDescription: String { rawValue }
    }

    /// logrotate copied app.log to app.log.1 just before a stop; its truncation, and the next rotation's rename of
    /// app.log.1 to app.log.2, come while connwatch is stopped or just before. The restart compares the copy again
    /// (the checkpoint says it was not resolved yet, and keeps what was read of the truncated original): never
    /// read from 0. Under load, the real logrotate run saw a whole copy (170-240 lines) read again after a restart.
    @Test(arguments: ["app.log*", "app.log"], CopyAtStop.allCases)
    func copyUnresolvedAtAStopIsComparedAgainAtTheRestart(glob: String, state: CopyAtStop) throws {
        let first = try t.follower(glob, rotateWait: 0)
        let tally = Tally()
        t.append("app.log", lines(0..<50))
        pump(first, tally)
        // A listing before the copy: the restart sweeps for rotated files born since (glob app.log).
        let seen = first.seenThroughNanoseconds
        tickPast("app.log")
        t.append("app.log", lines(50..<60))
        try FileManager.default.copyItem(atPath: dir + "/app.log", toPath: dir + "/app.log.1")
        let original = try #require(first.files.values.first { $0.path == dir + "/app.log" })
        switch state {
        case .held, .released:
            if glob == "app.log" {
                // Not in the glob: known only from a sweep (a restart's, or after lost events), like the real run's.
                first.sweepFrom = seen
            }
            pump(first, tally)
            #expect(first.files.values.contains { $0.copyOf != nil }, "the copy is held")
            if state == .released {
                truncate(dir + "/app.log", 0)
                first.read(original, emit: tally.add)
                #expect(first.files.values.contains { $0.copiedFrom != nil }, "the copy is released, not read yet")
            }
        case .unseen:
            first.read(original, emit: tally.add)
            t.append("app.log", lines(60..<65))
            first.read(original, emit: tally.add)
            truncate(dir + "/app.log", 0)
            first.read(original, emit: tally.add)
            #expect(first.files.count == 1, "the copy is not known")
        }
        var stopped = CheckpointState()
        first.checkpoint(into: &stopped)
        let saved = try JSONDecoder().decode(CheckpointState.self, from: JSONEncoder().encode(stopped))
        if state == .held { truncate(dir + "/app.log", 0) }
        rename(dir + "/app.log.1", dir + "/app.log.2")
        t.append("app.log", lines(1000..<1010))
        let second = try t.follower(glob, checkpoints: saved.files["t"] ?? [], rotateWait: 0,
                                    seenThrough: saved.filesSeenThrough?["t"],
                                    truncated: saved.filesTruncated?["t"] ?? [])
        let written = state == .unseen ? 0..<65 : 0..<60
        pumpAsTheDaemonDoes(second, tally) { tally.lostCount(written) == 0 && tally.lostCount(1000..<1010) == 0 }
        pump(second, tally)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
        #expect(tally.lost(written).isEmpty && tally.lost(1000..<1010).isEmpty)
    }

    /// A copy kept beside a followed file that is not truncated (`cp app.log app.log.bak`): its bytes are the
    /// original's, read there; after the hold only what the copy gains later is read.
    @Test func copyBesideAnUntruncatedFileIsNotReadAgain() throws {
        let f = try t.follower("app.log*", rotateWait: 0)
        f.copyHold = 0.3
        let tally = Tally()
        t.append("app.log", lines(0..<20))
        pump(f, tally)
        try FileManager.default.copyItem(atPath: dir + "/app.log", toPath: dir + "/app.log.bak")
        t.append("app.log", lines(20..<25))
        pump(f, tally)
        #expect(f.files.values.contains { $0.copyOf != nil }, "the copy is held")
        pumpAsTheDaemonDoes(f, tally) { !f.files.values.contains { $0.copyOf != nil } }
        t.append("app.log.bak", lines(500..<502))
        pump(f, tally)
        pump(f, tally)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
        #expect(tally.lost(0..<25).isEmpty && tally.lost(500..<502).isEmpty)
    }

    /// A new rotated file that only starts like a followed one (a fixed IIS/W3C header) is not a copy: read from 0
    /// (after a short wait while it might still be being copied).
    @Test func sameHeaderIsNotACopy() throws {
        let header = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem\n"
        let f = try t.follower("app.log*", rotateWait: 0)
        let tally = Tally()
        t.append("app.log", header + lines(0..<40))
        pump(f, tally)
        t.append("app.log.1", header + lines(100..<110))   // shorter than what was read of app.log
        t.append("app.log-2", header + lines(200..<260))   // longer, other bytes before the offset
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(100..<110) == 0 && tally.lostCount(200..<260) == 0 }
        #expect(tally.lost(0..<40).isEmpty && tally.lost(100..<110).isEmpty && tally.lost(200..<260).isEmpty)
        #expect(tally.repeated.isEmpty)
    }

    /// Atomic replace (the whole content written to a temporary file renamed over the log, as editors and some
    /// tools do), the old content kept and lines added: only the added lines are new. With `app.log*` the
    /// temporary file is in the glob before the rename.
    @Test(arguments: [("app.log", false), ("app.log*", false), ("app.log*", true)])
    func atomicReplaceKeepingTheContentReadsOnlyWhatWasAdded(glob: String, tempSeenFirst: Bool) throws {
        let f = try t.follower(glob, rotateWait: 0.2)
        let tally = Tally()
        t.append("app.log", lines(0..<20))
        pump(f, tally)
        try FileManager.default.copyItem(atPath: dir + "/app.log", toPath: dir + "/app.log.tmp")
        t.append("app.log.tmp", lines(20..<25))
        if tempSeenFirst { pump(f, tally) }
        rename(dir + "/app.log.tmp", dir + "/app.log")
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(0..<25) == 0 }
        t.append("app.log", lines(25..<30))
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(0..<30) == 0 }
        pump(f, tally)
        #expect(tally.repeated.isEmpty, "repeated: \(tally.repeated)")
        #expect(tally.lost(0..<30).isEmpty)
    }

    /// A new rotated file held because it starts like its original (only a fixed header so far) is looked at
    /// again when it grows: its own lines are read, not skipped when the hold ends.
    @Test func heldFileThatGrowsIsLookedAtAgain() throws {
        let header = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Fields: date time s-ip cs-method cs-uri-stem\n"
        let f = try t.follower("app.log*", rotateWait: 0)
        f.copyHold = 0.5
        let tally = Tally()
        t.append("app.log", header + lines(0..<40))
        pump(f, tally)
        t.append("app.log.1", header)
        pump(f, tally)
        #expect(f.files.values.contains { $0.copyOf != nil }, "held: all it holds is what app.log holds")
        t.append("app.log.1", lines(100..<110))
        pumpAsTheDaemonDoes(f, tally) { tally.lostCount(100..<110) == 0 }
        #expect(tally.lost(0..<40).isEmpty && tally.lost(100..<110).isEmpty)
        #expect(tally.repeated.isEmpty)
    }
}
