import CPCRE2
import Foundation
import Synchronization

/// A compile error of one pattern, with PCRE2's offset and message.
package struct PatternError: Error, Sendable, CustomStringConvertible {
    package var offset: Int
    package var message: String
    package var description: String { "at offset \(offset): \(message)" }
}

/// A compiled PCRE2 pattern. Immutable after init, so it is shared across tasks;
/// match data (the mutable part) lives in `PCRE2MatchData`, one per task.
package final class PCRE2Pattern: @unchecked Sendable {
    let code: OpaquePointer
    /// JIT code is made at a pattern's first match, not at load: most patterns of a catalog never run in a
    /// scan (Vectorscan hit nothing of theirs), and JIT-compiling all of them was a large part of a start.
    /// 0: not tried yet, 1: JIT, 2: interpreter. Set once, under `jitLock`.
    let jitState = Atomic<UInt8>(0)
    private let jitLock = Mutex(())
    /// False where the kernel refuses writable+executable memory (MemoryDenyWriteExecute): interpreter then.
    /// Asking makes the JIT code now.
    package var usesJIT: Bool { jitReady() }
    /// Named groups as (group number, name), in group order.
    package let names: [(index: Int, name: String)]
    package let source: String

    /// Set by tests (and operators debugging) to force the interpreter path.
    static let jitDisabled = ProcessInfo.processInfo.environment["CONNWATCH_PCRE2_JIT"] == "0"

    package init(_ pattern: String, caseless: Bool = false) throws(PatternError) {
        source = pattern
        var errorCode: Int32 = 0
        var errorOffset = 0
        // USE_OFFSET_LIMIT: a budgeted search walks its start positions in slices (see `match`).
        let options: UInt32 = (caseless ? PCRE2_CASELESS : 0) | PCRE2_USE_OFFSET_LIMIT
        let compiled = pattern.utf8CString.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: buf.count) {
                pcre2_compile_8($0, buf.count - 1, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw PatternError(offset: errorOffset, message: Self.message(for: errorCode))
        }
        code = compiled

        var count: UInt32 = 0, entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMECOUNT), &count)
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMETABLE), &table)
        var names: [(Int, String)] = []
        if let table {
            for i in 0..<Int(count) {
                let entry = table + i * Int(entrySize)
                let index = Int(entry[0]) << 8 | Int(entry[1])
                names.append((index, String(cString: entry + 2)))
            }
        }
        self.names = names.sorted { $0.0 < $1.0 }
    }

    deinit { pcre2_code_free_8(code) }

    /// Whether JIT code runs this pattern, making it at the first call. Every match path comes here first, so
    /// no thread reads the compiled code while another adds JIT code to it.
    @inline(__always)
    func jitReady() -> Bool {
        switch jitState.load(ordering: .acquiring) {
        case 1: true
        case 2: false
        default: makeJIT()
        }
    }

    func makeJIT() -> Bool {
        jitLock.withLock { _ in
            if jitState.load(ordering: .relaxed) == 0 {
                let ok = !Self.jitDisabled && pcre2_jit_compile_8(code, PCRE2_JIT_COMPLETE) == 0
                jitState.store(ok ? 1 : 2, ordering: .releasing)
            }
            return jitState.load(ordering: .relaxed) == 1
        }
    }

    static func message(for errorCode: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[0..<Int(n)], as: UTF8.self) : "PCRE2 error \(errorCode)"
    }

    /// The first match at or after `start`; nil when none (or when the match limit is hit: a pathological
    /// line must not stall the scanner, and no match is the safe answer for a prefilter confirm).
    ///
    /// The match limit holds per start position, so one call may still cost (start positions × limit). Under a
    /// line budget (`PCRE2MatchData.startBudget`) the start positions are therefore tried in slices (the
    /// offset limit ends each call), the clock is read between slices, and an exhausted budget answers nil
    /// for this and every later match until the budget is stopped. A search done in its first slice (the
    /// usual case) reads no clock at all.
    package func match(_ subject: UnsafeRawBufferPointer, from start: Int = 0, _ data: PCRE2MatchData) -> PCRE2Match? {
        guard data.deadline != nil else { return call(subject, start, data) }
        if data.overBudget { return nil }
        var from = start
        var slice = PCRE2MatchData.firstSlice
        while true {
            let last = from + slice
            pcre2_set_offset_limit_8(data.context, last >= subject.count ? PCRE2MatchData.unlimited : last)
            let found = call(subject, from, data)
            if found != nil || last >= subject.count || data.stoppedEarly { return found }
            let began = data.lastReading
            let now = data.read()
            if data.expired(now: now) { return nil }
            from = last + 1
            // Cheap slices (no start candidates) grow, so a long line costs few calls.
            if now - began < 200_000 { slice = min(slice * 4, 1 << 20) }
        }
    }

    func call(_ subject: UnsafeRawBufferPointer, _ start: Int, _ data: PCRE2MatchData) -> PCRE2Match? {
        // PCRE2 wants a non-null subject even when it is empty.
        let base = subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(data.emptySubject)
        // Interpreted data never asks for JIT code (an empty-line probe at load would make it for every pattern).
        // It is used only while a rule set is built and by `rules lint`, where no other thread compiles it.
        let rc = !data.interpreted && jitReady()
            ? pcre2_jit_match_8(code, base, subject.count, start, 0, data.data, data.context)
            : pcre2_match_8(code, base, subject.count, start, PCRE2_NO_UTF_CHECK | (data.interpreted ? PCRE2_NO_JIT : 0), data.data, data.context)
        data.stoppedEarly = rc < 0 && rc != PCRE2_ERROR_NOMATCH
        guard rc > 0 else { return nil }
        return PCRE2Match(ovector: pcre2_get_ovector_pointer_8(data.data), pairs: Int(rc))
    }

    /// True when the pattern matches anywhere in `subject`.
    package func matches(_ subject: UnsafeRawBufferPointer, _ data: PCRE2MatchData) -> Bool {
        match(subject, data) != nil
    }

    /// Named groups that took part in `m`, as (name, byte range).
    func namedGroups(_ m: PCRE2Match) -> [(String, Range<Int>)] {
        names.compactMap { entry in m.range(entry.index).map { (entry.name, $0) } }
    }
}

/// A view of the ovector right after a match; valid until the next match with the same data.
package struct PCRE2Match {
    let ovector: UnsafeMutablePointer<Int>
    let pairs: Int

    package var range: Range<Int> { ovector[0]..<ovector[1] }

    package func range(_ group: Int) -> Range<Int>? {
        guard group < pairs else { return nil }
        let start = ovector[2 * group], end = ovector[2 * group + 1]
        // PCRE2_UNSET is ~0 (size_t), which Swift sees as -1.
        guard start != PCRE2MatchData.unset, end != PCRE2MatchData.unset else { return nil }
        return start..<end
    }
}

/// Per-task mutable state for PCRE2 matching: match data and a match context with a match limit.
package final class PCRE2MatchData {
    static let unset = Int(bitPattern: UInt.max)
    /// Backtracking budget per match: bounds the time one pathological line can cost.
    static let matchLimit: UInt32 = 200_000

    /// Start positions tried by the first call of a budgeted search (later calls take more while cheap).
    static let firstSlice = 256
    static let unlimited = unset

    let data: OpaquePointer
    let context: OpaquePointer
    let emptySubject = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    /// Monotonic time (ns) after which the current budget may be used up; nil: no budget (one unsliced call per
    /// match).
    var deadline: UInt64?
    /// The budget's length, and the thread CPU time at which it ends once the monotonic deadline has passed.
    var budget: UInt64 = 0
    var cpuDeadline: UInt64?
    /// The budget ran out: matches answer nil until `stopBudget`.
    package internal(set) var overBudget = false
    /// This thread's CPU time: what the budget is about, so that a busy machine (a preempted thread) never makes
    /// a line look expensive and lose its findings. It costs a system call, so it is read only once the cheap
    /// monotonic clock says the budget could be used up.
    func now() -> UInt64 { Self.reading(CLOCK_THREAD_CPUTIME_ID) }

    static func reading(_ clock: clockid_t) -> UInt64 {
        var t = timespec()
        clock_gettime(clock, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Use the interpreter even where JIT code exists (what the service runs; `rules lint` measures it).
    var interpreted = false
    /// The last call ended on an error (match limit, depth limit) rather than a match or no match.
    var stoppedEarly = false

    /// The monotonic clock's last reading under the current budget (vDSO: no system call).
    var lastReading: UInt64 = 0

    func read() -> UInt64 {
        lastReading = Self.reading(CLOCK_MONOTONIC)
        return lastReading
    }

    /// Gives the following matches, together, `nanoseconds` of work: at least that much of this thread's CPU
    /// time, and at most twice (the CPU count starts when the monotonic time has run out, which is no earlier
    /// than the CPU time would have).
    func startBudget(nanoseconds: UInt64) {
        budget = nanoseconds
        deadline = read() &+ nanoseconds
        cpuDeadline = nil
        overBudget = false
    }

    /// True (and from then on `overBudget`) once the budget is used up; reads the monotonic clock only, and the
    /// CPU clock once the monotonic one has passed the deadline.
    func expired(now monotonic: UInt64) -> Bool {
        guard let deadline, monotonic >= deadline else { return false }
        let cpu = now()
        if cpuDeadline == nil { cpuDeadline = cpu &+ budget }
        if cpu >= cpuDeadline! { overBudget = true }
        return overBudget
    }

    /// Reads the clock: true (and from then on `overBudget`) once the budget is used up. For callers that
    /// run many short matches, each finished in one slice without a clock reading.
    func budgetUsedUp() -> Bool {
        if !overBudget { _ = expired(now: read()) }
        return overBudget
    }

    func stopBudget() {
        deadline = nil
        cpuDeadline = nil
        overBudget = false
        pcre2_set_offset_limit_8(context, Self.unlimited)
    }

    package init(pairs: Int = 64) {
        data = pcre2_match_data_create_8(UInt32(pairs), nil)
        context = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(context, Self.matchLimit)
    }

    deinit {
        pcre2_match_data_free_8(data)
        pcre2_match_context_free_8(context)
        emptySubject.deallocate()
    }
}
