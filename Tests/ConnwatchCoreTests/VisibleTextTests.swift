import Testing
import Logging
@testable import ConnwatchModel
import ConnwatchDaemon

/// What reaches a terminal or connwatch's own log carries no live control characters.
@Suite struct VisibleTextTests {
    @Test func controlsAreEscapedAndTextIsKept() {
        let hostile = "AADSTS50126 \u{1B}]0;pwned\u{07} \u{1B}[2J\rfake\nnext \u{9B}31m \u{202E}txt.exe\u{2069}"
        let shown = VisibleText.escapingControls(hostile)
        #expect(shown == #"AADSTS50126 \u001b]0;pwned\u0007 \u001b[2J\rfake\nnext \u009b31m \u202etxt.exe\u2069"#)
        #expect(!shown.unicodeScalars.contains { VisibleText.needsEscape($0) })
    }

    @Test(arguments: ["plain ASCII line", "tab\tseparated", "잘못된 자격 증명 — ünïcode", ""])
    func cleanTextIsReturnedUnchanged(text: String) {
        #expect(VisibleText.escapingControls(text) == text)
    }

    @Test func aLogMessageIsOneLineWhateverItQuotes() {
        let forged = "cannot open /var/log/app\n<0>connwatch: all clear.log"
        for priority in [4, nil] as [Int?] {
            let line = StderrLogHandler.line(priority: priority, level: .warning, message: forged)
            #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"), "\(line)")
            #expect(line.contains("app\\n<0>connwatch"), "\(line)")
        }
    }
}
