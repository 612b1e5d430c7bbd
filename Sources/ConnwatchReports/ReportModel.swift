import Foundation
import ConnwatchModel

/// What a findings report says, independent of its format (Markdown, HTML, JSON render this).
/// Counts are occurrences: a throttled finding's `count` is added, not its record.
package struct Report: Sendable, Codable, Equatable {
    var generated: Date
    package var since: Date
    package var until: Date
    /// The time zone that hour buckets and displayed times use (e.g. "Europe/Berlin", "UTC").
    package var timeZone: String
    package var lang: String
    /// Files read, in order.
    package var sources: [String]
    /// Lines that were not findings (with where they were), so nothing is silently ignored.
    package var skipped: [String]
    package var skippedCount: Int
    /// Occurrences in the period, and finding records they came from.
    package var total: Int
    package var records: Int
    /// Occurrences in the period of the same length just before `since`.
    var previousTotal: Int
    var bySeverity: [Bucket]      // every severity, critical first, zeros included
    var byKind: [Bucket]
    var byApp: [Bucket]           // "unknown" for findings without an app
    package var hosts: [Bucket]
    /// One bucket per hour of the period (a daily report has 24; a DST day 23 or 25).
    var perHour: [HourBucket]
    /// One section per rule (AADSTS: per rule and code), worst severity first, then most frequent.
    var sections: [Section]
    /// Sections present now and absent in the previous period, and the reverse.
    package var new: [KeyCount]
    package var stopped: [KeyCount]

    package init(generated: Date, since: Date, until: Date, timeZone: String, lang: String) {
        self.generated = generated; self.since = since; self.until = until
        self.timeZone = timeZone; self.lang = lang
        sources = []; skipped = []; skippedCount = 0; total = 0; records = 0; previousTotal = 0
        bySeverity = []; byKind = []; byApp = []; hosts = []; perHour = []; sections = []; new = []; stopped = []
    }
}

package struct Bucket: Sendable, Codable, Equatable {
    package var name: String
    package var count: Int
    package init(name: String, count: Int) { self.name = name; self.count = count }
}

package struct HourBucket: Sendable, Codable, Equatable {
    package var start: Date
    package var count: Int
    package init(start: Date, count: Int) { self.start = start; self.count = count }
}

package struct Section: Sendable, Codable, Equatable {
    /// `rule` or `rule AADSTSnnnn`: what identifies the section across days.
    package var key: String
    package var rule: String
    package var code: String?
    package var kind: String
    package var severity: Severity
    package var title: String
    package var count: Int
    package var firstSeen: Date
    package var lastSeen: Date
    package var apps: [Bucket]
    package var hosts: [Bucket]
    /// systemd units, syslog identifiers or file paths the lines came from.
    package var sources: [Bucket]
    /// Tenant and client ids extracted from the lines.
    var tenants: [Bucket]
    package var remediation: String
    package var reference: String?
    /// A few distinct redacted lines.
    package var examples: [String]
}

package struct KeyCount: Sendable, Codable, Equatable {
    package var key: String
    package var title: String
    package var severity: Severity
    package var count: Int
}

/// Headings of the rendered report, in the report's language.
package struct ReportLabels: Sendable {
    package let title, period, generated, total, previous, bySeverity, byKind, byApp, hosts, perHour, topRules,
        newSince, stopped, none, count, firstSeen, lastSeen, apps, sources, tenants, remediation, reference,
        examples, skipped, files, noFindings: String
    package static func of(_ lang: Language) -> ReportLabels {
        switch lang {
        case .en:
            return ReportLabels(title: "connwatch findings report", period: "Period", generated: "Generated",
                                total: "Findings", previous: "previous period", bySeverity: "By severity",
                                byKind: "By kind", byApp: "By app", hosts: "Hosts", perHour: "Findings per hour",
                                topRules: "Top rules", newSince: "New since the previous period",
                                stopped: "Stopped since the previous period", none: "none", count: "Count",
                                firstSeen: "First seen", lastSeen: "Last seen", apps: "Apps", sources: "Sources",
                                tenants: "Tenants / clients", remediation: "What to do", reference: "Reference",
                                examples: "Example lines", skipped: "Lines that were not findings",
                                files: "Files read", noFindings: "No findings in this period.")
        case .ko:
            return ReportLabels(title: "connwatch 탐지 보고서", period: "기간", generated: "생성 시각",
                                total: "탐지 건수", previous: "이전 기간", bySeverity: "심각도별",
                                byKind: "종류별", byApp: "앱별", hosts: "호스트", perHour: "시간대별 탐지 건수",
                                topRules: "상위 규칙", newSince: "이전 기간 대비 새로 나타난 항목",
                                stopped: "이전 기간 대비 사라진 항목", none: "없음", count: "건수",
                                firstSeen: "처음 발생", lastSeen: "마지막 발생", apps: "앱", sources: "출처",
                                tenants: "테넌트 / 클라이언트", remediation: "조치 방법", reference: "참고",
                                examples: "예시 로그", skipped: "탐지 결과가 아닌 줄",
                                files: "읽은 파일", noFindings: "이 기간에는 탐지 결과가 없습니다.")
        }
    }
}
