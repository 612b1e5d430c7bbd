import Foundation
import Testing

/// `connwatch report` as a user runs it: bad dates, hostile inputs.
@Suite struct ReportCLITests {
    @Test func datesThatDoNotExistAreRejectedWithAClearError() throws {
        let findings = try tempFile("findings.json", "")
        for bad in ["2026-13-01", "2026-02-30", "2026-1-1"] {
            let r = try connwatch(["report", "--date", bad, findings])
            #expect(r.status != 0)
            #expect(r.stderr.contains("--date '\(bad)': not a valid date (expected YYYY-MM-DD, a day that exists)"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        let since = try connwatch(["report", "--since", "2026-13-01", findings])
        #expect(since.status != 0 && since.stderr.contains("--since '2026-13-01': not a time"))
        #expect(try connwatch(["report", "--date", "2028-02-29", findings]).status == 0)
    }

    /// One /proc/PID/status or /proc/PID/io value (kB for memory, bytes for io); nil once the process is gone.
    func procValue(_ pid: Int32, _ file: String, _ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    @Test(.tags(.slow), .notInFastSet) func devZeroIsReadInBoundedMemory() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary())
        p.arguments = ["report", "--date", "2026-11-20", "/dev/zero"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() }; p.waitUntilExit() }
        // An endless line: wait until 2 GiB have gone through, then look at the peak resident memory.
        let deadline = Date().addingTimeInterval(120)
        var read = 0
        while p.isRunning && Date() < deadline {
            read = procValue(p.processIdentifier, "io", "rchar") ?? read
            if read >= 2 << 30 { break }
            usleep(20_000)
        }
        let peakKiB = procValue(p.processIdentifier, "status", "VmHWM") ?? .max
        #expect(p.isRunning, "report should still be reading the endless input")
        #expect(read >= 2 << 30, "read \(read) bytes before the deadline")
        #expect(peakKiB < 100 * 1024, "peak RSS \(peakKiB / 1024) MiB after reading \(read >> 20) MiB of /dev/zero")
    }
}
