import Foundation
import Testing

extension Tag {
    /// Slow tests: real processes, files under load, long timeouts. Mark them `@Test(.tags(.slow), .notInFastSet)`.
    @Tag static var slow: Self
}

extension Trait where Self == ConditionTrait {
    /// `make test-fast` sets CONNWATCH_FAST_TESTS=1; slow tests are then reported as skipped, never as passed.
    static var notInFastSet: Self {
        .enabled(if: ProcessInfo.processInfo.environment["CONNWATCH_FAST_TESTS"] == nil,
                 "slow test: left out of the fast set (CONNWATCH_FAST_TESTS is set)")
    }
}
