import Foundation

/// A value computed on a thread of its own while the caller goes on; `value` waits for it (once).
final class Detached<T>: @unchecked Sendable {
    private var result: T?
    private let done = DispatchSemaphore(value: 0)
    private var waited = false

    init(_ work: @escaping @Sendable () -> T) {
        let thread = Thread { [self] in
            result = work()
            done.signal()
        }
        // Vectorscan's compiler recurses deeply on large patterns: give it a main-thread-sized stack.
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Called from the creating thread only.
    var value: T {
        if !waited { done.wait(); waited = true }
        return result!
    }
}
