import Foundation
import ConnwatchModel

/// Folds repeats of the same finding within a window: the first is passed on at once, the repeats become
/// one summary finding (`count` = repeats, `throttle` = the window) when the window ends.
/// Memory is bounded by `maxKeys`: when full, the oldest window is closed early (its summary emitted), so a
/// flood of distinct findings costs summaries sooner, never lost counts.
package final class Throttle {
    package struct Settings: Sendable, Equatable {
        package var enabled = true
        package var window: TimeInterval = 300
        package var maxKeys = 10_000
        package init(enabled: Bool = true, window: TimeInterval = 300, maxKeys: Int = 10_000) {
            self.enabled = enabled; self.window = window; self.maxKeys = maxKeys
        }
    }

    struct Entry {
        var start: Date
        var repeats = 0
        var lastSeen: Date
        var last: LastRepeat?
    }

    /// The last repeat, for the summary: as a finding, or (folded before it was built) as how to build it. Boxed
    /// (`indirect`): entries move inside the dictionary's table on inserts and removals, and a finding held inline
    /// made each entry ≈ 500 bytes to move, in every eviction of a distinct-key flood.
    indirect enum LastRepeat {
        case finding(Finding)
        case build(() -> Finding)

        var finding: Finding {
            switch self {
            case .finding(let f): f
            case .build(let build): build()
            }
        }
    }

    /// A line kept for a summary is cut here, so `maxKeys` bounds memory even with 64 KiB lines.
    static let keptLineBytes = 2048

    /// A key with its hash computed once: a window costs several dictionary operations (insert, expiry check,
    /// removal), and rehashing the text each time was most of the throttle's cost in a flood of distinct keys.
    struct Key: Hashable {
        let text: String
        let hash: Int
        init(_ text: String) { self.text = text; hash = text.hashValue }
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
        static func == (a: Key, b: Key) -> Bool { a.hash == b.hash && a.text == b.text }
    }

    package let settings: Settings
    var entries: [Key: Entry] = [:]
    /// Keys in window-start order (windows all have one length, so this is also expiry order): `order[head...]`
    /// are exactly the open windows, since a key is appended only when its window opens and a window is closed
    /// only at the head (`closeOldest`), so the head needs no lookup to be known live.
    var order: [(key: Key, start: Date)] = []
    var head = 0
    /// Repeats folded so far, per rule (for metrics).
    package private(set) var throttledByRule: [String: Int] = [:]

    package init(_ settings: Settings) { self.settings = settings }

    package var openWindows: Int { entries.count }

    /// The identity of "the same finding": rule, app, code and the tenant / client the line names.
    package static func key(_ f: Finding) -> String { key(rule: f.rule, app: f.app, fields: f.fields) }

    /// The key of a finding with these fields (the first of a name counts, as in `Finding.field`).
    static func key(rule: String, app: String?, fields: [(name: String, value: String)]) -> String {
        // Built in place in one allocation: every finding of a flood pays for its key.
        var k = ""
        k.reserveCapacity(rule.utf8.count + (app?.utf8.count ?? 0) + 96)
        k.append(rule)
        k.append("\u{1F}")
        if let app { k.append(app) }
        for name in keyFields {
            k.append("\u{1F}")
            if let value = fields.first(where: { $0.name == name })?.value { k.append(value) }
        }
        return k
    }

    static let keyFields = ["code", "http_status", "tenant_id", "client_id", "app_id"]

    /// Passes `finding` on (first sight) or folds it; closes windows that ended by `now` first.
    package func offer(_ finding: Finding, now: Date, emit: (Finding) -> Void) {
        guard settings.enabled else { emit(finding); return }
        expire(now: now, emit: emit)
        let key = Key(Self.key(finding))
        pass(finding, key: key, now: now, emit: emit)
    }

    /// `offer` once the windows that ended are closed and the key is known.
    func pass(_ finding: Finding, key: Key, now: Date, emit: (Finding) -> Void) {
        if let i = window(key) {
            entries.values[i].repeats += finding.count
            entries.values[i].lastSeen = now
            entries.values[i].last = .finding(Self.kept(finding))
            throttledByRule[finding.rule, default: 0] += finding.count
            return
        }
        open(finding, key: key, now: now, emit: emit)
    }

    /// The open window of `key`, if any: valid until the throttle next changes (entries are changed in place
    /// through it: one lookup, and no copy of the entry).
    func window(_ key: Key) -> Dictionary<Key, Entry>.Index? { entries.index(forKey: key) }

    /// A first sight (`key` has no open window): a window opens, the oldest closed first when `maxKeys` are open.
    func open(_ finding: Finding, key: Key, now: Date, emit: (Finding) -> Void) {
        while entries.count >= settings.maxKeys { closeOldest(now: now, emit: emit) }
        entries[key] = Entry(start: now, lastSeen: now)
        order.append((key, now))
        emit(finding)
    }

    /// A repeat of the open window `i`, before its finding is built (`Delivery.take`, windows that ended closed
    /// already): counted, and `build` kept for the summary instead of the finding (its line no longer than
    /// `keptLineBytes`: holding a whole long line would unbound memory).
    func fold(at i: Dictionary<Key, Entry>.Index, rule: String, now: Date, build: @escaping () -> Finding) {
        entries.values[i].repeats += 1
        entries.values[i].lastSeen = now
        entries.values[i].last = .build(build)
        throttledByRule[rule, default: 0] += 1
    }

    /// A repeat as its window keeps it: the line cut at `keptLineBytes`, so that `maxKeys` bounds memory.
    static func kept(_ finding: Finding) -> Finding {
        var kept = finding
        if kept.line.utf8.count > keptLineBytes {
            kept.line = String(decoding: kept.line.utf8.prefix(keptLineBytes), as: UTF8.self)
            kept.truncated = true
        }
        return kept
    }

    /// Emits the summaries of windows that ended by `now`.
    package func expire(now: Date, emit: (Finding) -> Void) {
        while let start = liveHead(), start.addingTimeInterval(settings.window) <= now {
            closeOldest(now: start.addingTimeInterval(settings.window), emit: emit)
        }
    }

    /// Closes every window now (stop, end of a scan).
    package func flushAll(now: Date, emit: (Finding) -> Void) {
        while liveHead() != nil { closeOldest(now: now, emit: emit) }
    }

    /// When the next window ends.
    package func nextDeadline() -> Date? { liveHead().map { $0.addingTimeInterval(settings.window) } }

    /// The start of the oldest open window (a distinct-key flood asks twice per finding: no dictionary lookup).
    func liveHead() -> Date? {
        if head < order.count { return order[head].start }
        if head > 0 { order.removeAll(keepingCapacity: true); head = 0 }
        return nil
    }

    /// Closes the oldest open window, emitting its summary when it folded repeats.
    func closeOldest(now: Date, emit: (Finding) -> Void) {
        guard liveHead() != nil else { return }
        let key = order[head].key
        head += 1
        if head > 4096 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        guard let e = entries.removeValue(forKey: key) else { return }
        if e.repeats > 0, var summary = e.last?.finding {
            summary.count = e.repeats
            summary.time = now
            summary.throttle = ThrottleWindow(start: e.start, end: now, firstSeen: e.start, lastSeen: e.lastSeen)
            emit(summary)
        }
    }
}
