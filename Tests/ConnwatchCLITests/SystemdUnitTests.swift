import Foundation
import Testing

@Suite struct SystemdUnitTests {
    /// Exit status and stdout + stderr together (systemd-analyze and install.sh report on either).
    func runMerged(_ executable: String, _ args: [String]) throws -> (Int32, String) {
        let r = try run(executable, args)
        return (r.status, r.stdout + r.stderr)
    }

    /// `systemd-analyze security` of a unit in systemd/: its overall exposure must be at most 2.0.
    func expectExposureAtMostTwo(_ unit: String) throws {
        let (status, text) = try runMerged("/usr/bin/systemd-analyze", ["security", "--offline=true", root + "/systemd/" + unit])
        #expect(status == 0, "\(text)")
        let line = try #require(text.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 2.0, "\(line)")
    }

    /// Least privilege, measured the way systemd measures it.
    @Test func exposureIsAtMostTwo() throws {
        try expectExposureAtMostTwo("connwatch.service")
        let unit = try String(contentsOfFile: root + "/systemd/connwatch.service", encoding: .utf8)
        for directive in ["Type=notify", "DynamicUser=yes", "SupplementaryGroups=systemd-journal adm", "StateDirectory=connwatch",
                          "ExecStartPre=/usr/bin/connwatch config check", "ExecReload=/bin/kill -HUP $MAINPID",
                          "MemoryDenyWriteExecute=yes", "RestrictAddressFamilies=AF_UNIX", "PrivateNetwork=yes"] {
            #expect(unit.contains(directive + "\n"), "\(directive)")
        }
    }

    @Test func dailyReportUnitAndTimer() throws {
        try expectExposureAtMostTwo("connwatch-report.service")
        let service = try String(contentsOfFile: root + "/systemd/connwatch-report.service", encoding: .utf8)
        let daemon = try String(contentsOfFile: root + "/systemd/connwatch.service", encoding: .utf8)
        for shared in ["User=connwatch\n", "LogsDirectory=connwatch\n", "StateDirectory=connwatch\n"] {
            #expect(service.contains(shared) && daemon.contains(shared), "both units: \(shared)")
        }
        #expect(service.contains("ExecStart=/usr/bin/connwatch report --format html --output-dir ${STATE_DIRECTORY}/reports\n"))
        let timer = try String(contentsOfFile: root + "/systemd/connwatch-report.timer", encoding: .utf8)
        #expect(timer.contains("Persistent=true\n"))
        let calendar = try #require(timer.split(separator: "\n").first { $0.hasPrefix("OnCalendar=") }).dropFirst("OnCalendar=".count)
        let (ok, normalized) = try runMerged("/usr/bin/systemd-analyze", ["calendar", String(calendar)])
        #expect(ok == 0 && normalized.contains("*-*-* 00:15:00"), "\(normalized)")
        // The logrotate example names the path the example configuration writes.
        let rotate = try String(contentsOfFile: root + "/systemd/connwatch.logrotate", encoding: .utf8)
        let example = try String(contentsOfFile: root + "/systemd/connwatch.yaml", encoding: .utf8)
        #expect(rotate.contains("/var/log/connwatch/findings.json {") && example.contains("path: /var/log/connwatch/findings.json"))
    }

    @Test func installRespectsDestdirAndPrefix() throws {
        let dest = FileManager.default.temporaryDirectory.appendingPathComponent("cw-install-\(UUID().uuidString)").path
        let (status, text) = try runMerged(root + "/scripts/install.sh", [dest, "/usr", binary()])
        #expect(status == 0, "\(text)")
        for path in ["/usr/bin/connwatch", "/usr/share/connwatch/rules/aadsts/aadsts.yaml", "/lib/systemd/system/connwatch.service",
                     "/lib/systemd/system/connwatch-report.service", "/lib/systemd/system/connwatch-report.timer",
                     "/etc/logrotate.d/connwatch", "/usr/share/doc/connwatch/forwarding.md",
                     "/usr/share/doc/connwatch/examples/connwatch.yaml", "/etc/connwatch/rules.d"] {
            #expect(FileManager.default.fileExists(atPath: dest + path), "\(path)")
        }
        // The installed binary finds the installed rules by itself.
        let (lint, out) = try runMerged(dest + "/usr/bin/connwatch", ["rules", "lint"])
        #expect(lint == 0)
        #expect(out.contains(dest + "/usr/share/connwatch/rules"))
        // The example configuration is valid.
        let (check, checked) = try runMerged(dest + "/usr/bin/connwatch", ["config", "check", "--config", dest + "/usr/share/doc/connwatch/examples/connwatch.yaml"])
        #expect(check == 0, "\(checked)")
        let (_, local) = try runMerged(root + "/scripts/install.sh", [dest + "-local", "/usr/local", binary()])
        #expect(local.contains("/usr/local/lib/systemd/system/connwatch.service"))
        let localUnit = try String(contentsOfFile: dest + "-local/usr/local/lib/systemd/system/connwatch.service", encoding: .utf8)
        #expect(localUnit.contains("ExecStart=/usr/local/bin/connwatch run"))
    }
}
