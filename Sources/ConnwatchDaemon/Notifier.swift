import CSystemd
import Foundation

/// sd_notify(3): readiness, status, watchdog, reload and stop notifications to systemd (no-ops outside a
/// Type=notify service, where NOTIFY_SOCKET is unset).
package struct Notifier: Sendable {
    package init() {}

    package func send(_ state: String) {
        _ = state.withCString { sd_notify(0, $0) }
    }

    /// The watchdog interval systemd expects pings within (WatchdogSec=), if enabled for this process.
    var watchdogInterval: Double? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return Double(usec) / 1e6
    }

    /// RELOADING=1 needs MONOTONIC_USEC= (systemd ≥ 253 checks it for Type=notify-reload).
    func reloading() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        send("RELOADING=1\nMONOTONIC_USEC=\(UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000)")
    }
}
