import Foundation
import Testing
@testable import ConnwatchModel
@testable import ConnwatchRules
@testable import ConnwatchEngine
@testable import ConnwatchPipeline

/// Multi-line events: one event, one finding, with the event's lines and fields from all of them. The texts
/// follow errors people pasted into public issues (msal4j, msal-python, azure-identity, Graph PowerShell).
@Suite struct MultilineEventTests {
    static let ruleSet: RuleSet = {
        let npe = ruleYAML(id: "connector.npe", patterns: ["NullPointerException"], extra: """
        context: required
        apps:
          office365: {remediation: {en: support, ko: 지원}}
        """).replacingOccurrences(of: "rules:\n", with: "")
        let graph = ruleYAML(id: "graph.denied", kind: "graph-authz",
                             patterns: [#""code"\s*:\s*"(?<error>Authorization_RequestDenied|accessDenied)""#],
                             extra: """
                             requires: ['graph\\.microsoft\\.com']
                             extract: ['"request-id"\\s*:\\s*"(?<request_id>[0-9a-f-]{36})"']
                             """).replacingOccurrences(of: "rules:\n", with: "")
        let ps = ruleYAML(id: "graph.ps-403", kind: "graph-authz", patterns: [#"The remote server returned an error: \((?<http_status>403)\) Forbidden"#])
            .replacingOccurrences(of: "rules:\n", with: "")
        let aadsts = ruleYAML(id: "aadsts.code", kind: "aadsts", patterns: [#"AADSTS(?<code>\d{5,7})(?!\d)"#], extra: """
        per_match: true
        catalog: aadsts
        extract: ['Trace ID: (?<trace_id>[0-9a-f-]{36})', 'Correlation ID: (?<correlation_id>[0-9a-f-]{36})']
        """)
        return try! RuleSet.load(directories: [try! rulesDirectory([
            "apps.yaml": appsYAML, "codes.yaml": codesYAML, "aadsts.yaml": aadsts,
            "c.yaml": ruleYAML(id: "connector.timeout", patterns: ["Service timeout"]) + npe + graph + ps,
        ])])
    }()

    func scan(_ text: String, _ mode: String?, chunkBytes: Int = 1 << 20) throws -> [Finding] {
        try scanBytes(Array(text.utf8), Self.ruleSet, chunkBytes: chunkBytes, multiline: mode.map { Multiline.parse($0)! })
    }

    static let java = """
    2024-03-01 12:11:02,006 ERROR [o365-poller] Office 365 connector: activity poll failed
    java.util.concurrent.ExecutionException: java.lang.IllegalStateException: poll aborted
    \tat java.base/java.util.concurrent.CompletableFuture.reportGet(CompletableFuture.java:396)
    \tat java.base/java.util.concurrent.CompletableFuture.get(CompletableFuture.java:2073)
    Caused by: java.lang.NullPointerException
    \tat com.adallom.appconnector.o365.ActivityPoller.poll(ActivityPoller.java:88)
    \t... 3 more
    \tSuppressed: java.io.IOException: stream closed
    \t\tat java.base/java.io.BufferedInputStream.read(BufferedInputStream.java:270)
    2024-03-01 12:11:03,100 INFO [o365-poller] next poll in 60 s

    """

    @Test func javaStackTraceIsOneEventWithTheAppOfItsFirstLine() throws {
        #expect(try scan(Self.java, nil).isEmpty, "line by line, the NullPointerException has no connector context")
        let f = try scan(Self.java, "java")
        #expect(f.count == 1)
        #expect(f[0].rule == "connector.npe")
        #expect(f[0].app == "office365")
        #expect(f[0].line == "Caused by: java.lang.NullPointerException")
        #expect(f[0].origin.offset == 0)
        let lines = try #require(f[0].event?.lines)
        #expect(lines.count == 9)
        #expect(lines.first == "2024-03-01 12:11:02,006 ERROR [o365-poller] Office 365 connector: activity poll failed")
        #expect(lines.last == "\t\tat java.base/java.io.BufferedInputStream.read(BufferedInputStream.java:270)")
        #expect(f[0].event?.cut == nil)
        // The same, read in small pieces: the event is whole whatever the reads.
        #expect(try scan(String(repeating: "noise line\n", count: 500) + Self.java, "java", chunkBytes: 97) .map(\.event?.lines.count) == [9])
    }

    @Test func msal4jExceptionWithTraceIDOnItsOwnLine() throws {
        let text = """
        IdeaLoggingEvent[message=[Correlation ID: 55fdda46-b02c-44f5-ae7d-2b83acec8530] Execution of class com.microsoft.aad.msal4j.AcquireTokenSilentSupplier failed., throwable=com.microsoft.aad.msal4j.MsalInteractionRequiredException: AADSTS50158: External security challenge not satisfied. User will be redirected to another page or authentication provider to satisfy additional authentication challenges.
        Trace ID: a90fe584-d5e6-4704-95a0-0ed740695c00
        \tat com.microsoft.aad.msal4j.MsalServiceExceptionFactory.fromHttpResponse(MsalServiceExceptionFactory.java:39)
        \tat com.microsoft.aad.msal4j.TokenRequestExecutor.createAuthenticationResultFromOauthHttpResponse(TokenRequestExecutor.java:161)

        """
        let f = try scan(text, "auto")
        #expect(f.map { $0.field("code") } == ["50158"])
        #expect(f[0].field("trace_id") == "a90fe584-d5e6-4704-95a0-0ed740695c00", "fields come from every line of the event")
        #expect(f[0].event?.lines.count == 4)
    }

    @Test func pythonTracebackEndingInAnMSALError() throws {
        let text = """
        2022-12-01 19:02:02,311 ERROR graph-sync token request failed
        Traceback (most recent call last):
          File "/opt/graph-sync/sync.py", line 41, in main
            token = credential.get_token("https://graph.microsoft.com/.default")
          File "/usr/lib/python3/dist-packages/azure/identity/_internal/get_token_mixin.py", line 93, in get_token
            raise ClientAuthenticationError(message=message, response=response)
        azure.core.exceptions.ClientAuthenticationError: Authentication failed: AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.
        Trace ID: 22c04acd-a816-42bc-bb4f-5f1c8dcb4c02
        Correlation ID: 3c90998d-702c-4bd9-9ae3-02eeb373883b
        Timestamp: 2022-12-01 19:02:02Z
        Content: {"error":"invalid_client","error_description":"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.","error_codes":[7000218]}
        2022-12-01 19:02:03,000 INFO graph-sync retrying in 30 s

        """
        #expect(try scan(text, nil).count == 2, "line by line: the exception line and the Content line")
        let f = try scan(text, "python,msal")
        #expect(f.count == 1)
        #expect(f[0].field("code") == "7000218")
        #expect(f[0].field("correlation_id") == "3c90998d-702c-4bd9-9ae3-02eeb373883b")
        #expect(f[0].line.hasPrefix("azure.core.exceptions.ClientAuthenticationError: Authentication failed: AADSTS7000218"))
        #expect(f[0].event?.lines.count == 11)
    }

    @Test func prettyPrintedJSONErrorBodyWithTheURLOnTheFirstLine() throws {
        let text = """
        2024-07-04T18:48:32.118Z ERROR graph-sync GET https://graph.microsoft.com/v1.0/users failed, response body:
        {
          "error": {
            "code": "Authorization_RequestDenied",
            "message": "Insufficient privileges to complete the operation.",
            "innerError": {
              "date": "2024-07-04T18:48:32",
              "request-id": "e3a1b7ae-3cde-483d-bff7-153adfb5f607",
              "client-request-id": "1859889c-9d81-437c-b7c7-7e6e1cc6ae4e"
            }
          }
        }
        2024-07-04T18:48:33.000Z INFO graph-sync next page

        """
        #expect(try scan(text, nil).isEmpty, "line by line, the body has no Graph URL")
        let f = try scan(text, "json")
        #expect(f.map(\.rule) == ["graph.denied"])
        #expect(f[0].field("error") == "Authorization_RequestDenied")
        #expect(f[0].field("request_id") == "e3a1b7ae-3cde-483d-bff7-153adfb5f607")
        #expect(f[0].event?.lines.count == 12)
    }

    @Test func msalMessageWithItsIDsOnTheirOwnLines() throws {
        let text = """
        AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.
        Trace ID: bfee79c7-0207-4e2c-a58b-14a16ad20300
        Correlation ID: 1de9b66c-7cb3-4a30-9326-7b74319f6b63
        Timestamp: 2023-06-23 10:16:39Z
        Unable to fetch auth token. Error: (invalid_client) AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.

        Trace ID: 43d77fa0-0f4d-4b83-ac05-b05592320801

        Correlation ID: 6f214225-c2c2-4b66-b2bb-232bd77f8e5d

        Timestamp: 2020-06-19 14:12:06Z

        """
        let f = try scan(text, "msal")
        #expect(f.map { $0.field("code") } == ["50076", "700025"])
        #expect(f.map { $0.field("trace_id") } == ["bfee79c7-0207-4e2c-a58b-14a16ad20300", "43d77fa0-0f4d-4b83-ac05-b05592320801"])
        #expect(f.map { $0.field("correlation_id") } == ["1de9b66c-7cb3-4a30-9326-7b74319f6b63", "6f214225-c2c2-4b66-b2bb-232bd77f8e5d"])
        var stamped = f[0]
        Enricher(host: "scanner").stamp(&stamped)
        #expect(stamped.eventTime == Date(timeIntervalSince1970: 1_687_515_399), "MSAL's Timestamp: line gives the event's time")
    }

    @Test func powerShellErrorRecords() throws {
        let windowsPowerShell = """
        Write-Log : [2022-03-01 12:35:37] [Error] :: The remote server returned an error: (403) Forbidden.
        At C:\\scripts\\Remove-StaleGuests.ps1:399 char:9
        +         Write-Log -Message $ErrorMessage -LogLevel Error -ConsoleOutp ...
        +         ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
            + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException
            + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException,Write-Log
        [2022-03-01 12:35:38] [Info] :: Exiting

        """
        let a = try scan(windowsPowerShell, "powershell")
        #expect(a.map(\.rule) == ["graph.ps-403"])
        #expect(a[0].event?.lines.count == 6)
        let mgGraph = """
        Invoke-MgGraphRequest: GET https://graph.microsoft.com/beta/admin/sharepoint/settings
        HTTP/2.0 403 Forbidden
        Cache-Control: no-store, no-cache
        Vary: Accept-Encoding
        Strict-Transport-Security: max-age=31536000
        request-id: e3a1b7ae-3cde-483d-bff7-153adfb5f607
        client-request-id: 1859889c-9d81-437c-b7c7-7e6e1cc6ae4e
        Date: Thu, 04 Jul 2024 18:48:32 GMT
        Content-Type: application/json

        {"error":{"code":"accessDenied","message":"Access denied","innerError":{"date":"2024-07-04T18:48:32","request-id":"e3a1b7ae-3cde-483d-bff7-153adfb5f607"}}}
        PS C:\\> Get-Date

        """
        #expect(try scan(mgGraph, nil).isEmpty, "line by line, the body has no Graph URL")
        let b = try scan(mgGraph, "powershell")
        #expect(b.map(\.rule) == ["graph.denied"])
        #expect(b[0].event?.lines.count == 11)
        #expect(b[0].field("request_id") == "e3a1b7ae-3cde-483d-bff7-153adfb5f607")
    }

    @Test func aJSONErrorOnItsOwnLineIsNotGluedToTheLineBeforeIt() throws {
        // As in the benchmark corpus: a Java stack trace, then an unrelated JSON error logged on its own line.
        let text = """
        2026-11-20 00:04:17.516 ERROR 14554 --- [worker-5] c.e.shipping.LabelClient : request failed
        java.lang.NullPointerException: Cannot invoke "java.util.List.size()" because "items" is null
        \tat com.example.billing.InvoiceService.computeTotal(InvoiceService.java:608) ~[classes/:na]
        {"error":"invalid_grant","error_description":"AADSTS50055: The password is expired."}

        """
        let f = try scan(text, "auto")
        #expect(f.map { $0.field("code") } == ["50055"])
        #expect(f.first?.event == nil, "an event of its own line")
        #expect(f.first?.origin.offset == UInt64(text.utf8.count - 86))
    }

    @Test func theLineOfAFindingIsWhereItsOwnRuleMatched() throws {
        // The first hit (a NullPointerException without connector context) gives no finding; the code does.
        let text = """
        worker failed: java.lang.NullPointerException
        \tat a.B.c(B.java:1)
        Caused by: token refresh failed AADSTS70008
        next

        """
        let f = try scan(text, "java")
        #expect(f.map(\.rule) == ["aadsts.code"])
        #expect(f.first?.line == "Caused by: token refresh failed AADSTS70008")
        #expect(f.first?.event?.lines.count == 3)
    }

    @Test func customStartPattern() throws {
        let text = """
        [12:00:01] sync started
        [12:00:02] Office 365 poll failed:
        java.lang.NullPointerException
        (no stack)
        [12:00:03] sync ended

        """
        var m = Multiline(formats: [])
        m.start = #"^\[\d\d:\d\d:\d\d\] "#
        let f = try scanBytes(Array(text.utf8), Self.ruleSet, multiline: m)
        #expect(f.map(\.app) == ["office365"])
        #expect(f[0].event?.lines == ["[12:00:02] Office 365 poll failed:", "java.lang.NullPointerException", "(no stack)"])
        #expect(f[0].origin.offset == 24)
    }

    @Test func anEventBeyondItsBoundsIsCutAndMarked() throws {
        var m = Multiline(formats: [.java])
        m.maxLines = 5
        let text = "Office 365 poller failed\n" + (0..<20).map { "\tat com.example.F\($0)(F.java:\($0))\n" }.joined()
            + "Caused by: java.lang.NullPointerException\n"
        let f = try scanBytes(Array(text.utf8), Self.ruleSet, context: "office365", multiline: m)
        #expect(f.count == 1)
        #expect(f[0].event?.cut == .maxLines)
        #expect((f[0].event?.lines.count ?? 99) <= 5)
    }

    @Test func secretsInAnyLineOfTheEventAreRedacted() throws {
        let text = """
        2024-03-01 12:11:02,006 ERROR Office 365 connector token refresh failed
        Caused by: java.lang.NullPointerException: client_secret=Zx8Q~abcdefghijklmnopqrstuvwxyz0123456
        \tat com.adallom.appconnector.o365.TokenClient.refresh(TokenClient.java:51)

        """
        let f = try scan(text, "java")
        let lines = try #require(f.first?.event?.lines)
        #expect(!lines.joined().contains("Zx8Q~"))
        #expect(lines[1].contains("[REDACTED]"))
        #expect(!f[0].line.contains("Zx8Q~"))
    }

    @Test func singleLineEventsLookLikeToday() throws {
        let text = "a\nService timeout talking to box\nb\n"
        let plain = try scan(text, nil)
        let grouped = try scan(text, "auto")
        #expect(plain == grouped)
        #expect(grouped[0].event == nil)
    }

    @Test func aFollowedFileHoldsItsOpenEventAndScansItWhenTheFileIsCopyTruncated() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cw-events-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/app.log"
        try "Office 365 poller failed\njava.lang.NullPointerException\n\tat a.B.c(B.java:1)\n".write(toFile: path, atomically: false, encoding: .utf8)
        let scanner = Scanner(Self.ruleSet)
        scanner.events = try EventBoundaries(Multiline.parse("java")!)
        let follower = try FileFollower(name: "t", patterns: [dir + "/*.log"], context: nil, scanner: scanner,
                                        partialLineTimeout: 60, checkpoints: [], startAtEnd: false)
        var found: [Finding] = []
        follower.pump { found.append($0) }
        #expect(found.isEmpty, "the event may go on: held")
        #expect(follower.checkpoints.map(\.offset) == [0], "the checkpoint is the open event's first line")
        // logrotate copytruncate: the file is cut below what was read; the held event was written before.
        try "x\n".write(toFile: path, atomically: false, encoding: .utf8)
        follower.handleEvents()
        follower.pump { found.append($0) }
        #expect(found.map(\.app) == ["office365"])
        #expect(found.first?.event?.lines.count == 3)
    }

    @Test func theReaderHoldsTheOpenEventFromItsFirstLine() throws {
        let events = try EventBoundaries(Multiline.parse("java")!)
        var reader = ChunkReader(chunkBytes: 4096, maxLineBytes: 1024, events: events)
        defer { reader.deallocate() }
        struct Once: ByteSource {
            var data: [UInt8]
            mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
                let n = data.count
                data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
                data = []
                return n
            }
        }
        let head = "first event\nsecond event\n"
        var source = Once(data: Array((head + "java.lang.NullPointerException\n\tat a.B.c(B.java:1)\n").utf8))
        var handed: [String] = []
        try reader.run(&source, holdPartialLine: true) { buf, _, _ in handed.append(String(decoding: buf, as: UTF8.self)) }
        #expect(handed == ["first event\n"])
        #expect(reader.committedOffset == UInt64("first event\n".utf8.count), "a restart resumes at the open event's first line")
        source = Once(data: Array("next event\n".utf8))
        try reader.run(&source, holdPartialLine: true) { buf, _, _ in handed.append(String(decoding: buf, as: UTF8.self)) }
        #expect(handed.last == "second event\njava.lang.NullPointerException\n\tat a.B.c(B.java:1)\n")
    }
}

/// The event's own time and host, from each form real logs write them in.
@Suite struct LineStampTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let seoul = TimeZone(identifier: "Asia/Seoul")!

    /// Milliseconds since 1970 (exact to compare, unlike a Double through Date's 2001 epoch).
    func time(_ line: String, now: Date = Date(timeIntervalSince1970: 1_764_547_200), zone: TimeZone = utc) -> Int? {
        LineStamp.time(line, now: now, timeZone: zone).map { ms($0.timeIntervalSince1970) }
    }

    func ms(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }

    @Test func rfc3339AndISO8601() {
        #expect(time("2024-03-10T00:12:24Z sshd: x") == ms(1_710_029_544))
        #expect(time("2024-03-10T00:12:24.250+09:00 host app[1]: x") == ms(1_710_029_544 - 9 * 3600 + 0.25))
        #expect(time("2024-03-10T00:12:24-0500 x") == ms(1_710_029_544 + 5 * 3600))
        #expect(time("2024-03-10 00:12:24 ERROR x", zone: Self.seoul) == ms(1_710_029_544 - 9 * 3600), "no zone: local time")
        #expect(time("[2024-03-10T00:12:24Z] x") == ms(1_710_029_544))
        #expect(time("<165>1 2024-03-10T00:12:24.000Z mymachine app 1 ID47 - x") == ms(1_710_029_544))
    }

    @Test func log4jAndLogback() {
        #expect(time("2024-03-01 12:11:02,006 ERROR [main] c.a.Office365Connector - failed") == ms(1_709_295_062.006))
    }

    @Test func bsdSyslogYearIsInferred() {
        let march = Date(timeIntervalSince1970: 1_741_600_000) // 2025-03-10 09:46:40 UTC
        #expect(time("Mar 10 00:12:24 host sshd[1]: x", now: march) == ms(1_741_565_544))
        #expect(time("Mar  9 00:12:24 host sshd[1]: x", now: march) == ms(1_741_565_544 - 86_400))
        // A December log read in January is last year's.
        let january = Date(timeIntervalSince1970: 1_735_776_000) // 2025-01-02 00:00 UTC
        #expect(time("Dec 31 23:59:59 host cron[2]: x", now: january) == ms(1_735_689_599))
        // Never in the future: a line dated after the scan is last year's.
        #expect(time("Jun 01 00:00:00 host x: y", now: march) == ms(1_717_200_000))
    }

    @Test func msalAndJSONKeys() {
        #expect(time("Trace ID: x Correlation ID: y Timestamp: 2020-06-19 14:12:06Z") == ms(1_592_575_926))
        #expect(time(#"{"level":"error","@timestamp":"2024-03-10T00:12:24Z","msg":"AADSTS50020"}"#) == ms(1_710_029_544))
        #expect(time(#"{"timestamp": "2024-03-10T00:12:24.5Z","msg":"x"}"#) == ms(1_710_029_544.5))
        #expect(time(#"{"msg":"x","time":"2024-03-10T09:12:24+09:00"}"#) == ms(1_710_029_544))
        #expect(time("AADSTS50020: user account does not exist") == nil, "no timestamp, no event_time")
        #expect(time("2024-13-45 99:99:99 not a time") == nil)
    }

    /// A stated offset is computed without Calendar: the same instant as Calendar gives, and the same nil for a
    /// day the month lacks, over leap years, century rules, month ends and offsets either side of UTC.
    @Test func statedOffsetDatesAgreeWithCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        var checked = 0
        for y in [1600, 1700, 1899, 1900, 1969, 1970, 1999, 2000, 2024, 2025, 2100, 2400, 9999] {
            for mo in 1...12 {
                for d in [1, 15, 28, 29, 30, 31] {
                    for (h, mi, s) in [(0, 0, 0), (23, 59, 59), (12, 34, 56)] {
                        for offset in [0, 9 * 3600, -5 * 3600, 5 * 3600 + 45 * 60, -14 * 3600] {
                            calendar.timeZone = TimeZone(secondsFromGMT: offset)!
                            let c = DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
                            let expected = calendar.date(from: c).flatMap { calendar.component(.day, from: $0) == d ? $0 : nil }
                            let got = LineStamp.makeDate(y, mo, d, h, mi, s, offset: offset, timeZone: Self.seoul)
                            #expect(got == expected, "\(y)-\(mo)-\(d) \(h):\(mi):\(s) offset \(offset)")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked == 13 * 12 * 6 * 3 * 5)
    }

    @Test func syslogHosts() {
        #expect(LineStamp.syslogHost("Mar 10 00:12:24 web-01 sshd[1234]: Failed password") == "web-01")
        #expect(LineStamp.syslogHost("<34>Oct 11 22:14:15 mymachine su: 'su root' failed") == "mymachine")
        #expect(LineStamp.syslogHost("2024-03-10T00:12:24.123456+00:00 db-2.example.com connector: x") == "db-2.example.com")
        #expect(LineStamp.syslogHost("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - msg") == "mymachine.example.com")
        #expect(LineStamp.syslogHost("<165>1 2003-10-11T22:14:15.003Z - evntslog - ID47 - msg") == nil)
        #expect(LineStamp.syslogHost("2024-03-01 12:11:02,006 ERROR [main] c.a.Office365Connector - failed") == nil)
        // an application log's level before its logger name is not a host, whatever its case
        #expect(LineStamp.syslogHost("2026-12-02T11:10:52Z ERROR msal: AADSTS700016: Application not found") == nil)
        #expect(LineStamp.syslogHost("2026-12-02T11:10:52.123+00:00 Warning Microsoft.Identity.Client: retry") == nil)
        #expect(LineStamp.syslogHost("Dec  2 11:10:52 info app[12]: x") == nil)
        #expect(LineStamp.syslogHost("2026-12-02T11:10:52Z errorhost-1 app[12]: x") == "errorhost-1")
        #expect(LineStamp.syslogHost("AADSTS50020: user account does not exist") == nil)
    }

    @Test func enricherStampsJournalFindingsFromTheEntry() {
        var f = Finding(rule: "r", kind: .aadsts, app: nil, severity: .low, title: Localized(en: "t", ko: "t"),
                        remediation: Localized(en: "r", ko: "r"), origin: Origin(input: "journal"),
                        line: "Mar 10 00:12:24 other sshd[1]: AADSTS50020")
        f.origin.realtimeMicros = 1_763_700_000_000_000
        f.origin.hostname = "h1"
        Enricher(host: "scanner").stamp(&f, now: Date(timeIntervalSince1970: 1_763_800_000))
        #expect(f.host == "scanner")
        #expect(f.eventTime == Date(timeIntervalSince1970: 1_763_700_000))
        #expect(f.sourceHost == "h1")
        var line = Finding(rule: "r", kind: .aadsts, app: nil, severity: .low, title: Localized(en: "t", ko: "t"),
                           remediation: Localized(en: "r", ko: "r"), origin: Origin(input: "file"),
                           line: "2024-03-10T00:12:24Z web-01 app[1]: AADSTS50020")
        let now = Date(timeIntervalSince1970: 1_763_800_000)
        Enricher(host: "scanner").stamp(&line, now: now)
        #expect(line.time == now)
        #expect(line.eventTime == Date(timeIntervalSince1970: 1_710_029_544))
        #expect(line.sourceHost == "web-01")
        var json: [UInt8] = []
        JSONLinesEncoder(lang: .en).encode(line, into: &json)
        let o = (try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any]
        #expect(o?["event_time"] as? String == "2024-03-10T00:12:24.000Z")
        #expect(o?["source_host"] as? String == "web-01")
        #expect(o?["host"] as? String == "scanner")
    }
}
