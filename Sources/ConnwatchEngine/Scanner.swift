import Foundation
import Logging
import ConnwatchModel
import ConnwatchRules

/// What happened to one line, step by step, for `connwatch explain`.
package struct Trace: Sendable {
    package struct Step: Sendable {
        package var rule: String
        /// 1-based pattern numbers that Vectorscan reported (prefilter hits).
        package var prefilterPatterns: [Int] = []
        package var confirmedPattern: Int?
        package var fields: [(name: String, value: String)] = []
        /// Why the rule did or did not produce a finding.
        package var verdict: String = ""
    }
    package var steps: [Step] = []
    package var policy: [String] = []
    package init() {}
}

/// Takes a line's one finding before it is built (the daemon's delivery, whose throttle folds repeats): a flood
/// of one finding costs its matching, not a finding per line. Asked only for a line that makes exactly one.
package protocol RepeatFolder: AnyObject {
    /// True when the finding `build` makes was taken: folded into an open window (`build` kept for the window's
    /// summary) or built and passed on as a first sight. False: the caller emits `build()` as usual. `fields` are
    /// the finding's redacted fields before deduplication (the first of a name is the finding's), `lineBytes`
    /// its redacted line's length.
    func take(rule: String, app: String?, fields: [(name: String, value: String)], lineBytes: Int,
              build: @escaping @Sendable () -> Finding) -> Bool
}

/// Per-task scanning state over a shared `RuleSet`: Vectorscan scratch, PCRE2 match data.
/// Not Sendable on purpose: create one per task.
package final class Scanner {
    package let ruleSet: RuleSet
    let scratch: VectorscanScratch
    /// Rule patterns run under the line budget. Redaction uses no PCRE2 and has no budget (a line that ran out of
    /// time must still lose its secrets).
    let data = PCRE2MatchData()
    /// PCRE2 work (thread CPU time) one line may cost over all its rules and start positions (the daemon's
    /// watchdog is 30 s, and interpreted PCRE2 is what the unit runs).
    var lineBudgetNanoseconds = Scanner.defaultLineBudgetNanoseconds
    static let defaultLineBudgetNanoseconds: UInt64 = 50_000_000
    /// Lines whose rule matching stopped at the budget (their later rules were not evaluated).
    package private(set) var linesOverBudget = 0
    /// At most this many findings come from one line; the rest are dropped and those kept say `capped`.
    package static let maxFindingsPerLine = 20
    /// Reused per line: rules hit on the current line, as (rule index, pattern index).
    var lineHits: [(rule: Int, pattern: Int)] = []
    /// Multi-line grouping: with it, each hit is evaluated with the whole event around its line.
    package var events: EventBoundaries?
    /// Asked before a line's one finding is built (the daemon's throttle); lines of multi-line events are not.
    package weak var folder: (any RepeatFolder)?

    /// App detection for the subject being evaluated: one Vectorscan scan per app asked about, PCRE2 only
    /// for the detectors hit. Apps are numbered (every app a rule names), so that the per-line answers need no
    /// hashing of app names: most hit lines ask about apps and end without a finding.
    let appNames: [String]
    let detectorPatterns: [[PCRE2Pattern]]
    let detectorScratches: [VectorscanScratch?]
    /// Per rule (index into `ruleSet.rules`): its `appIDs` as app numbers.
    let ruleApps: [[Int]]
    /// The answers for the current subject: `detectedAnswer[app]` holds when `detectedGeneration[app]` is the
    /// current `generation` (one increment forgets every answer).
    var detectedGeneration: [UInt64]
    var detectedAnswer: [Bool]
    var generation: UInt64 = 0
    /// Reused per evaluation: the line's rules in the order of their first hit.
    var ruleOrder: [Int] = []
    /// The line before the one evaluated, per source, for redaction (a secret's name ending that line).
    var redactionContext = RedactionContext()

    package init(_ ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        scratch = VectorscanScratch(ruleSet.database, patternCount: ruleSet.patternCount)
        var numbers: [String: Int] = [:]
        var names: [String] = []
        func number(_ app: String) -> Int {
            if let n = numbers[app] { return n }
            numbers[app] = names.count
            names.append(app)
            return names.count - 1
        }
        ruleApps = ruleSet.rules.map { $0.rule.appIDs.map(number) }
        appNames = names
        detectorPatterns = names.map { ruleSet.appDetectors[$0] ?? [] }
        detectorScratches = names.map { app in
            ruleSet.detectorDatabases[app].map { VectorscanScratch($0, patternCount: $0.prefiltered.count) }
        }
        detectedGeneration = Array(repeating: 0, count: names.count)
        detectedAnswer = Array(repeating: false, count: names.count)
    }

    // MARK: buffers

    /// Scans a buffer of whole lines (the last one may lack its newline) in one Vectorscan call, then
    /// evaluates only the lines that hold hits. `bufferOffset` is the stream offset of `buffer`'s first byte.
    /// `lastLineTruncated` marks the buffer's last line as cut (the reader dropped the rest of a huge line).
    /// `lastEventCut`: with multi-line grouping, the buffer's last event was handed over before it ended.
    package func scan(_ buffer: UnsafeRawBufferPointer, bufferOffset: UInt64, origin: Origin, context: String?,
                     lastLineTruncated: Bool = false, lastEventCut: EventCut? = nil, emit: (Finding) -> Void) {
        redactionContext.start(buffer, offset: bufferOffset, origin: origin)
        defer { redactionContext.end() }
        scratch.scan(buffer)
        let hits = scratch.hits
        guard !hits.ids.isEmpty, let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var order = Array(hits.ids.indices)
        if !zip(hits.ends, hits.ends.dropFirst()).allSatisfy({ $0 <= $1 }) {
            order.sort { hits.ends[$0] < hits.ends[$1] }
        }
        if let events {
            scanEvents(events, base: base, count: buffer.count, order: order, bufferOffset: bufferOffset, origin: origin,
                       context: context, lastLineTruncated: lastLineTruncated, lastEventCut: lastEventCut, emit: emit)
            return
        }
        var currentStart = -1, currentEnd = -1
        var trace: Trace? = nil
        func flush() {
            guard currentStart >= 0 else { return }
            let (length, cut) = lineLength(base + currentStart, currentEnd - currentStart)
            let truncated = cut || (lastLineTruncated && currentEnd == buffer.count)
            var lineOrigin = origin
            lineOrigin.offset = bufferOffset + UInt64(currentStart)
            let line = UnsafeRawBufferPointer(start: base + currentStart, count: length)
            redactionContext.lineStart = currentStart
            for finding in evaluate(line: line, hits: lineHits, context: context, origin: lineOrigin,
                                    truncated: truncated, trace: &trace, folder: folder) {
                emit(finding)
            }
            lineHits.removeAll(keepingCapacity: true)
        }
        for i in order {
            let end = hits.ends[i]
            let last = end - 1 // a hit belongs to the line of its last byte
            if last < currentStart || last >= currentEnd {
                flush()
                currentStart = Self.lineStart(base, before: last)
                currentEnd = Self.lineEnd(base, from: last, count: buffer.count)
            }
            lineHits.append(ruleSet.owners[hits.ids[i]])
        }
        flush()
    }

    /// Vectorscan scanned the whole buffer; only around its hits are event bounds looked for: back to the
    /// line that starts the event, forward through its continuation lines. One event, one evaluation.
    func scanEvents(_ events: EventBoundaries, base: UnsafePointer<UInt8>, count: Int, order: [Int], bufferOffset: UInt64,
                    origin: Origin, context: String?, lastLineTruncated: Bool, lastEventCut: EventCut?,
                    emit: (Finding) -> Void) {
        let hits = scratch.hits
        var start = -1, end = -1, floor = 0
        var cut: EventCut?
        /// The event's hits as (rule, last byte): a finding's `line` is the line where its own rule matched.
        var eventHits: [(rule: Int, last: Int)] = []
        var trace: Trace? = nil
        func flush() {
            guard start >= 0 else { return }
            defer { lineHits.removeAll(keepingCapacity: true); eventHits.removeAll(keepingCapacity: true); floor = end + 1 }
            var eventOrigin = origin
            eventOrigin.offset = bufferOffset + UInt64(start)
            // The buffer's last event ends at its last byte (a newline, or the end of a last line without one).
            let eventCut = cut ?? (end + 1 >= count ? lastEventCut : nil)
                ?? (start == 0 && events.firstEventContinuesFlushed ? .timeout : nil)
            let truncatedTail = lastLineTruncated && end == count
            redactionContext.lineStart = start
            if memchr(base + start, 0x0A, end - start) == nil {
                // One line: exactly the line path.
                let (length, truncated) = lineLength(base + start, end - start)
                let line = UnsafeRawBufferPointer(start: base + start, count: length)
                for var f in evaluate(line: line, hits: lineHits, context: context, origin: eventOrigin,
                                      truncated: truncated || truncatedTail, trace: &trace) {
                    if let eventCut { f.event = EventLines(lines: [f.line], cut: eventCut) }
                    emit(f)
                }
                return
            }
            let subject = UnsafeRawBufferPointer(start: base + start, count: end - start)
            func lineIndex(of rule: String) -> Int {
                let r = ruleSet.rules.firstIndex { $0.rule.id == rule }
                let last = eventHits.first { $0.rule == r }?.last ?? eventHits[0].last
                var index = 0
                for i in start..<min(last, end) where base[i] == 0x0A { index += 1 }
                return index
            }
            for var f in evaluate(line: subject, hits: lineHits, context: context, origin: eventOrigin,
                                  truncated: truncatedTail, trace: &trace) {
                // The redacted event, one element per line; `line` stays the line that matched.
                let lines = f.line.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.last == "\r" ? String($0.dropLast()) : String($0) }
                f.event = EventLines(lines: lines, cut: eventCut)
                let index = lineIndex(of: f.rule)
                f.line = index < lines.count ? lines[index] : lines[0]
                emit(f)
            }
        }
        for i in order {
            let last = hits.ends[i] - 1 // a hit belongs to the line of its last byte
            if last < start || last >= end {
                flush()
                (start, end, cut) = events.event(around: Self.lineStart(base, before: last), base, count: count, floor: floor)
            }
            let owner = ruleSet.owners[hits.ids[i]]
            lineHits.append(owner)
            eventHits.append((owner.rule, last))
        }
        flush()
    }

    /// A line is its bytes without a trailing CR, cut at max_line_bytes (then marked truncated).
    func lineLength(_ start: UnsafePointer<UInt8>, _ count: Int) -> (Int, truncated: Bool) {
        var length = count
        if length > 0 && start[length - 1] == 0x0D { length -= 1 }
        return length > ruleSet.maxLineBytes ? (ruleSet.maxLineBytes, true) : (length, false)
    }

    /// The start of the line holding byte `index`: one past the last newline before it, else 0.
    static func lineStart(_ base: UnsafePointer<UInt8>, before index: Int) -> Int {
        // Every hit line comes here, most of them a hundred bytes or more from their start: backwards eight bytes
        // at a time (glibc's memrchr is not imported). `i` is the end of what is left to search.
        var i = index
        while i >= 8 {
            let x = UInt64(littleEndian: UnsafeRawPointer(base + i - 8).loadUnaligned(as: UInt64.self)) ^ 0x0A0A_0A0A_0A0A_0A0A
            // 0x80 in each byte of x that is zero (a newline), exactly: no carry crosses a byte.
            let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            let newlines = ~(((x & low7) &+ low7) | x | low7)
            if newlines != 0 { return i - 8 + (63 - newlines.leadingZeroBitCount) / 8 + 1 }
            i -= 8
        }
        while i > 0 && base[i - 1] != 0x0A { i -= 1 }
        return i
    }

    static func lineEnd(_ base: UnsafePointer<UInt8>, from index: Int, count: Int) -> Int {
        guard let p = memchr(base + index, 0x0A, count - index) else { return count }
        return UnsafeRawPointer(p) - UnsafeRawPointer(base)
    }

    // MARK: one line

    /// Runs one line through the whole rule set (prefilter included) and records every step.
    package func explain(line: [UInt8], context: String?, origin: Origin = Origin(input: "argument")) -> (Trace, [Finding]) {
        var trace: Trace? = Trace()
        var findings: [Finding] = []
        line.withUnsafeBytes { raw in
            let (length, truncated) = lineLength(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), raw.count)
            let buf = UnsafeRawBufferPointer(rebasing: raw[0..<length])
            scratch.scan(buf)
            let hits = zip(scratch.hits.ids, scratch.hits.ends).map { ruleSet.owners[$0.0] }
            findings = evaluate(line: buf, hits: hits, context: context, origin: origin, truncated: truncated, trace: &trace)
        }
        return (trace!, findings)
    }

    /// Findings for one line, given the Vectorscan hits on it. See docs/rule-format.md for the policy.
    /// Most hit lines end without a finding, so until a rule makes one nothing is redacted, and the trace (steps,
    /// verdict texts) is built only when `trace` is given.
    /// With `folder`, a line that makes one finding offers it there first, and returns nothing when it was taken.
    func evaluate(line: UnsafeRawBufferPointer, hits: [(rule: Int, pattern: Int)], context: String?,
                  origin: Origin, truncated: Bool, trace: inout Trace?, folder: (any RepeatFolder)? = nil) -> [Finding] {
        /// What a finding is made of, made into one once the line's evaluation is over (or never: a folded repeat).
        var made: [(compiled: CompiledRule, fields: [(name: String, value: String)], decision: AppDecision)] = []
        ruleOrder.removeAll(keepingCapacity: true)
        for hit in hits where !ruleOrder.contains(hit.rule) { ruleOrder.append(hit.rule) }
        let tracing = trace != nil
        // Redaction spans are found once per line; the line and every field extracted from it are masked by them.
        var spans: [Range<Int>]?
        func redacted(_ range: Range<Int>) -> String {
            if spans == nil { spans = redactionContext.withPreviousLine { ruleSet.redactor.spans(in: line, after: $0) } }
            return Redactor.text(spans!, of: line, range: range)
        }
        func redacted(_ groups: [(String, Range<Int>)]) -> [(name: String, value: String)] {
            groups.map { (name: $0.0, value: redacted($0.1)) }
        }
        var redactedLine: String?
        func redactedWholeLine() -> String {
            if redactedLine == nil { redactedLine = redacted(0..<line.count) }
            return redactedLine!
        }
        var capped = false
        generation &+= 1
        data.startBudget(nanoseconds: lineBudgetNanoseconds)
        defer {
            if data.overBudget { overBudget(origin, trace: &trace) }
            data.stopBudget()
        }
        rules: for r in ruleOrder {
            // Between rules the clock is read (within one rule, only searches that need several slices read it).
            if r != ruleOrder.first && data.budgetUsedUp() { break }
            if made.count >= Self.maxFindingsPerLine { capped = true; break }
            let compiled = ruleSet.rules[r]
            // Verdicts are assigned through `step?`: without a trace their texts are never built.
            var step = tracing
                ? Trace.Step(rule: compiled.rule.id, prefilterPatterns: hits.filter { $0.rule == r }.map { $0.pattern + 1 })
                : nil
            defer { if let step { trace?.steps.append(step) } }

            // Confirm with PCRE2 on this line only; collect one match per finding, as named groups' byte ranges
            // (redacted once the rule makes a finding). perMatch: one match per distinct key, the code group's
            // redacted value (else the match's text), at most `maxFindingsPerLine` on the line.
            func collect(redactingKeys: Bool) -> (matches: [[(String, Range<Int>)]], capHit: Bool, codes: [Range<Int>]) {
                var matches: [[(String, Range<Int>)]] = []
                // At most maxFindingsPerLine keys: a scan is cheaper than a set's hashing and allocation.
                var seenKeys: [String] = []
                var codes: [Range<Int>] = []
                var capHit = false
                for hit in hits where hit.rule == r {
                    let p = hit.pattern
                    let pattern = compiled.patterns[p]
                    var position = 0
                    while position <= line.count, let m = pattern.match(line, from: position, data) {
                        if step?.confirmedPattern == nil { step?.confirmedPattern = p + 1 }
                        let groups = pattern.namedGroups(m)
                        guard compiled.rule.perMatch else {
                            // One finding per line: later matching patterns only add fields the first lacked.
                            if matches.isEmpty { matches.append(groups) } else {
                                matches[0] += groups.filter { g in !matches[0].contains { $0.0 == g.0 } }
                            }
                            break
                        }
                        let code = groups.first { $0.0 == "code" }?.1
                        if let code { codes.append(code) }
                        let key = code.map { redactingKeys ? redacted($0) : Self.text(line, $0) } ?? Self.text(line, m.range)
                        if !seenKeys.contains(key) {
                            seenKeys.append(key)
                            if made.count + matches.count >= Self.maxFindingsPerLine { capHit = true; break }
                            matches.append(groups)
                        }
                        position = max(m.range.upperBound, m.range.lowerBound + 1)
                    }
                }
                return (matches, capHit, codes)
            }
            // A rule that needs connector context ends without a finding on a line that has none, whatever PCRE2
            // says: that cheaper question (detector answers are kept per line) goes first, unless explain wants
            // the verdicts in their order.
            var decided: AppDecision?
            if !tracing && compiled.rule.contextRequired {
                guard let decision = decideApp(r, line: line, context: context) else { continue }
                decided = decision
            }
            // Keys are first compared unredacted (redaction scans the whole line, and most lines matched here end
            // without a finding); they are the redacted keys unless a mask touches a code: then collect again.
            var (matches, capHit, codes) = collect(redactingKeys: false)
            func settle() {
                guard !codes.isEmpty else { return }
                if spans == nil { spans = redactionContext.withPreviousLine { ruleSet.redactor.spans(in: line, after: $0) } }
                // Redactor.apply's test: the span reaches into the code's range (or strictly around an empty one).
                if codes.contains(where: { c in spans!.contains { $0.lowerBound < c.upperBound && $0.upperBound > c.lowerBound } }) {
                    (matches, capHit, _) = collect(redactingKeys: true)
                }
                codes = []
            }
            if tracing { settle() }
            defer {
                if capHit { settle() }
                if capHit { capped = true }
            }
            if data.overBudget { step?.verdict = "stopped: the line used up its PCRE2 work budget"; break rules }
            guard !matches.isEmpty else { step?.verdict = "not confirmed by PCRE2 on this line"; continue }
            if tracing { step?.fields = redacted(matches[0]) }
            if let i = compiled.requires.firstIndex(where: { !$0.matches(line, data) }) {
                step?.verdict = "confirmed, but 'requires' pattern \(i + 1) does not match"; continue
            }
            if let i = compiled.excludes.firstIndex(where: { $0.matches(line, data) }) {
                step?.verdict = "confirmed, but 'excludes' pattern \(i + 1) matches"; continue
            }
            guard let decision = decided ?? decideApp(r, line: line, context: context) else {
                step?.verdict = "confirmed, but the rule needs connector context (a declared or detected app among \(compiled.rule.appIDs.joined(separator: ", "))) and there is none"
                continue
            }
            var extracted: [(name: String, value: String)] = []
            for pattern in compiled.extract {
                guard let m = pattern.match(line, data) else { continue }
                for (name, range) in pattern.namedGroups(m) where !extracted.contains(where: { $0.name == name }) {
                    extracted.append((name, redacted(range)))
                }
            }
            if !extracted.isEmpty { step?.fields += extracted }
            // requires/excludes/extract answer nil once the budget is gone: such a finding is not trusted.
            if data.overBudget { step?.verdict = "stopped: the line used up its PCRE2 work budget"; break }
            settle()
            for groups in matches {
                let groups = redacted(groups) + extracted.filter { e in !groups.contains { $0.0 == e.name } }
                made.append((compiled, groups, decision))
            }
            step?.verdict = "finding" + (decision.app.map { " for app \($0)" } ?? "")
                + (decision.candidates.isEmpty ? "" : " (app unknown; candidates: \(decision.candidates.joined(separator: ", ")))")
        }
        if let folder, made.count == 1, !capped, !tracing {
            let (compiled, fields, decision) = made[0]
            let line = redactedWholeLine(), ruleSet = ruleSet
            let build: @Sendable () -> Finding = { Self.makeFinding(ruleSet, compiled, fields, decision, origin, line, truncated) }
            if folder.take(rule: compiled.rule.id, app: decision.app, fields: fields, lineBytes: line.utf8.count, build: build) {
                return []
            }
            return [build()]
        }
        var findings = made.map { Self.makeFinding(ruleSet, $0.compiled, $0.fields, $0.decision, origin, redactedWholeLine(), truncated) }
        if capped {
            for i in findings.indices { findings[i].capped = true }
            trace?.policy.append("more than \(Self.maxFindingsPerLine) findings on this line: the rest were dropped")
        }
        return applyLinePolicy(findings, trace: &trace)
    }

    static let budgetLogger = Logger(label: "connwatch")

    /// Counts a line that ran out of budget and says so in the log, at the 1st, 10th, 100th… such line.
    func overBudget(_ origin: Origin, trace: inout Trace?) {
        linesOverBudget += 1
        trace?.policy.append("PCRE2 work budget (\(lineBudgetNanoseconds / 1_000_000) ms) used up: rules after this point were not evaluated")
        var n = linesOverBudget
        while n % 10 == 0 { n /= 10 }
        guard n == 1 else { return }
        Self.budgetLogger.warning("a line used up its PCRE2 work budget (\(lineBudgetNanoseconds / 1_000_000) ms); the rest of its rules were skipped (an expensive rule pattern? see 'connwatch rules lint')",
                                  metadata: ["lines_over_budget": "\(linesOverBudget)", "input": "\(origin.path ?? origin.input ?? "-")",
                                             "offset": "\(origin.offset.map(String.init) ?? "-")"])
    }

    /// Supersedes first, then one story per line: the most specific recognised error is the finding and the
    /// line's other facts are its `related` list (docs/rule-format.md, "One line, several rules").
    /// - A connector finding names the app and the connector's fix: AADSTS codes on its line are related.
    /// - Otherwise an AADSTS code with its own catalog entry is the finding: a line that carries one is a
    ///   token-endpoint error, and generic Graph/OAuth wording on it (interaction_required, invalid_grant,
    ///   "has not consented") is related.
    /// - An AADSTS code without a catalog entry says less than a Graph finding on the same line: related to it.
    func applyLinePolicy(_ input: [Finding], trace: inout Trace?) -> [Finding] {
        guard input.count > 1 else { return input }
        var findings = input
        var dropped: Set<String> = []
        for f in findings {
            guard let r = ruleSet.rules.firstIndex(where: { $0.rule.id == f.rule }) else { continue }
            for s in ruleSet.rules[r].supersedes { dropped.insert(ruleSet.rules[s].rule.id) }
        }
        if !dropped.isEmpty {
            findings.removeAll { dropped.contains($0.rule) }
            trace?.policy.append("superseded on this line: \(dropped.sorted().joined(separator: ", "))")
        }
        let codes = findings.filter { $0.kind == .aadsts }
        guard !codes.isEmpty, codes.count < findings.count else { return findings }
        let hasConnector = findings.contains { $0.kind == .connector }
        let aadstsWins = !hasConnector && codes.contains { $0.codeName != nil }
        let primaryKind: (RuleKind) -> Bool = aadstsWins ? { $0 == .aadsts } : { $0 != .aadsts }
        let related = findings.filter { !primaryKind($0.kind) }.map(Self.related)
        findings.removeAll { !primaryKind($0.kind) }
        for i in findings.indices { findings[i].related += related }
        let names = related.map { $0.code ?? $0.rule }.joined(separator: ", ")
        trace?.policy.append(aadstsWins
            ? "catalogued AADSTS code is the finding; \(names) kept as 'related'"
            : "AADSTS \(names) folded into \(findings.count) finding(s) as 'related'")
        return findings
    }

    static func related(_ f: Finding) -> Related {
        Related(rule: f.rule, code: f.field("code") ?? f.field("error"), codeName: f.codeName, severity: f.severity,
                title: f.title, reference: f.reference)
    }

    struct AppDecision {
        var app: String?
        var candidates: [String]
    }

    /// nil: the rule needs connector context and the line has none. `r` indexes `ruleSet.rules`.
    func decideApp(_ r: Int, line: UnsafeRawBufferPointer, context: String?) -> AppDecision? {
        let rule = ruleSet.rules[r]
        let apps = ruleApps[r]
        if let app = rule.rule.app {
            if rule.rule.contextRequired && context != app && !detects(apps[0], line) { return nil }
            return AppDecision(app: app, candidates: [])
        }
        guard !apps.isEmpty else { return AppDecision(app: nil, candidates: []) }
        if let context, apps.contains(where: { appNames[$0] == context }) { return AppDecision(app: context, candidates: []) }
        // Every app is asked (as the candidates need), the first detected one remembered.
        var detectedCount = 0, first = 0
        for app in apps where detects(app, line) {
            if detectedCount == 0 { first = app }
            detectedCount += 1
        }
        if detectedCount == 1 { return AppDecision(app: appNames[first], candidates: []) }
        if rule.rule.contextRequired && detectedCount == 0 { return nil }
        let candidates = detectedCount > 1 ? apps.filter { detects($0, line) } : apps
        return AppDecision(app: nil, candidates: candidates.map { appNames[$0] })
    }

    /// Whether app number `app`'s detectors match `line`, answered once per evaluated subject.
    func detects(_ app: Int, _ line: UnsafeRawBufferPointer) -> Bool {
        if detectedGeneration[app] == generation { return detectedAnswer[app] }
        let patterns = detectorPatterns[app]
        let found: Bool
        if let scratch = detectorScratches[app] {
            scratch.scan(line)
            let ids = scratch.hits.ids
            // An event's lines may hit the same detector again: each pattern is confirmed once.
            found = ids.indices.contains { i in !ids[..<i].contains(ids[i]) && patterns[ids[i]].matches(line, data) }
        } else {
            found = patterns.contains { $0.matches(line, data) }
        }
        detectedGeneration[app] = generation
        detectedAnswer[app] = found
        return found
    }

    static func makeFinding(_ ruleSet: RuleSet, _ compiled: CompiledRule, _ groups: [(name: String, value: String)],
                            _ decision: AppDecision, _ origin: Origin, _ line: String, _ truncated: Bool) -> Finding {
        // Through `compiled.rule`, not a copy of the Rule (a retain for each of its many fields, per finding).
        var severity = compiled.rule.severity
        var title = compiled.rule.title
        var remediation = compiled.rule.remediation
        var candidates: [Candidate] = []
        if let app = decision.app, let variant = compiled.rule.apps.first(where: { $0.app == app }) {
            severity = variant.severity ?? severity
            title = variant.title ?? title
            remediation = variant.remediation
        }
        for app in decision.candidates {
            guard let v = compiled.rule.apps.first(where: { $0.app == app }) else { continue }
            candidates.append(Candidate(app: app, appName: ruleSet.catalog.apps[app]?.name ?? app,
                                        severity: v.severity ?? compiled.rule.severity, title: v.title ?? compiled.rule.title,
                                        remediation: v.remediation))
        }
        if let worst = candidates.map(\.severity).max() { severity = worst }
        var fields: [(name: String, value: String)] = []
        for g in groups where !fields.contains(where: { $0.name == g.name }) { fields.append(g) }
        var finding = Finding(rule: compiled.rule.id, kind: compiled.rule.kind, app: decision.app, candidates: candidates,
                              severity: severity, title: title, remediation: remediation, fields: fields,
                              origin: origin, line: line, truncated: truncated)
        if let catalog = compiled.catalog, let code = finding.field("code") {
            finding.reference = catalog.lookupAddress(for: code)
            if let entry = catalog.entries[code] {
                finding.severity = entry.severity
                finding.title = entry.title
                finding.remediation = entry.remediation
                finding.category = entry.category
                finding.codeName = entry.name
            }
        }
        if finding.reference == nil { finding.reference = compiled.rule.references.first }
        return finding
    }

    static func text(_ line: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: line[range]), as: UTF8.self)
    }
}
