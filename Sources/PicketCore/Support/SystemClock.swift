#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's clocks, read once here (CLOCK_REALTIME, CLOCK_MONOTONIC),
/// and the task's own sleep.
public struct SystemClock: PicketClock {
    public init() {}

    public func wallNs() -> Int64 { Self.read(CLOCK_REALTIME) }

    public func monotonicNs() -> Int64 { Self.read(CLOCK_MONOTONIC) }

    public func sleep(untilMonotonic deadline: Int64) async throws {
        let left = deadline &- monotonicNs()
        guard left > 0 else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(for: .nanoseconds(left))
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
