/// The daemon's one clock: what time it is (the wall clock, UTC, which NTP,
/// a GPS or an operator may step, and the monotonic clock, which never
/// steps) and sleeping until a monotonic time. Every part that reads the
/// time or waits for it (drivers, the hot path, the sender's backoff and
/// expiry, statuses, retention, the watchdog) takes one, so a test can run
/// them on a `ManualClock` and move time by hand instead of waiting for it.
///
/// `SystemClock` reads the kernel's clocks; `UTCMapping` (PicketHardware)
/// is the daemon's, a system clock whose wall time ignores the wall clock's
/// steps until they are seen.
public protocol PicketClock: Sendable {
    /// UTC nanoseconds since 1970: the time stored events, requests and
    /// statuses carry.
    func wallNs() -> Int64
    /// CLOCK_MONOTONIC nanoseconds: what intervals and deadlines are measured on.
    func monotonicNs() -> Int64
    /// Returns once `monotonicNs()` reached `deadline` (at once when it has);
    /// throws `CancellationError` when the task is cancelled first.
    func sleep(untilMonotonic deadline: Int64) async throws
}

extension PicketClock {
    /// Sleeps `ns` nanoseconds of this clock (none when `ns` is not positive).
    public func sleep(forNs ns: Int64) async throws {
        try await sleep(untilMonotonic: monotonicNs() &+ max(0, ns))
    }
}
