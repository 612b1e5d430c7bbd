import Foundation
import ConnwatchModel

/// The second thread of an overlapped `Delivery` (the daemon): the reading thread hands over what it matched and
/// reads on, while this thread throttles, builds, stamps and encodes it. Items are handed over in batches (one
/// lock and wake-up per batch, not per finding) and finished in the order they came.
/// The delivery's state (throttle, outputs, counters) belongs to this thread while items are in flight and to the
/// reading thread once `drain` returned: the reading thread drains before it touches any of it.
final class DeliveryLane: @unchecked Sendable {
    enum Item: Sendable {
        /// `Delivery.take` of a line the scanner did not build yet.
        case take(now: Date, rule: String, app: String?, fields: [(name: String, value: String)], build: @Sendable () -> Finding)
        /// `Delivery.accept` of a finding built by the scanner.
        case offer(Finding, now: Date)
    }

    private let condition = NSCondition()
    private var inbox: [Item] = []
    private var busy = false
    private var stopping = false
    private var exited = false
    /// Items handed over and not finished yet.
    private var unfinished = 0
    /// Findings the delivery handed to its outputs, as of the last finished batch.
    private var delivered = 0

    /// `work` finishes a batch on the lane's thread and answers the delivery's count of delivered findings.
    init(work: @escaping @Sendable ([Item]) -> Int) {
        let thread = Thread { [self] in loop(work) }
        thread.name = "connwatch-delivery"
        thread.start()
    }

    func submit(_ items: inout [Item]) {
        guard !items.isEmpty else { return }
        condition.lock()
        unfinished += items.count
        if inbox.isEmpty { swap(&inbox, &items) } else { inbox += items }
        condition.signal()
        condition.unlock()
        items.removeAll(keepingCapacity: true)
    }

    /// Until everything handed over is finished.
    func drain() {
        condition.lock()
        while busy || !inbox.isEmpty { condition.wait() }
        condition.unlock()
    }

    /// Items not finished, and the delivered count of the last finished batch (read without draining).
    func progress() -> (unfinished: Int, delivered: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (unfinished, delivered)
    }

    /// Ends the thread once what it holds is finished.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func loop(_ work: @Sendable ([Item]) -> Int) {
        var batch: [Item] = []
        condition.lock()
        while true {
            while inbox.isEmpty && !stopping { condition.wait() }
            if inbox.isEmpty { break }
            swap(&batch, &inbox)
            busy = true
            condition.unlock()
            let count = work(batch)
            let n = batch.count
            // Released here: the findings' and closures' deallocation is this thread's work too.
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            busy = false
            unfinished -= n
            delivered = count
            condition.broadcast()
        }
        exited = true
        condition.broadcast()
        condition.unlock()
    }
}
