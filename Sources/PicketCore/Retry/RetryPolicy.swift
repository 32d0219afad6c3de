/// Capped exponential backoff with full jitter for reopening a device that
/// failed (an unplugged serial adapter, a GPIO line another process holds):
/// retry soon after a glitch, settle at `maximumNs` for a long outage, and
/// spread out so several failed sources do not retry in lockstep.
public struct RetryPolicy: Sendable, Equatable {
    public var initialNs: Int64
    public var maximumNs: Int64

    public init(initialNs: Int64, maximumNs: Int64) {
        self.initialNs = max(1, initialNs)
        self.maximumNs = max(self.initialNs, maximumNs)
    }

    /// 250 ms doubling to a 30 s ceiling.
    public static let `default` = RetryPolicy(initialNs: 250_000_000, maximumNs: 30_000_000_000)

    /// The ceiling for the `attempt`-th retry (0-based): initial × 2^attempt, capped.
    public func ceiling(attempt: Int) -> Int64 {
        let shift = min(max(0, attempt), 40)
        let (value, overflow) = initialNs.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? maximumNs : min(value, maximumNs)
    }

    /// How long to wait before the `attempt`-th retry: uniform in
    /// [ceiling / 2, ceiling], so a retry never comes back at once yet
    /// fleets of failures spread out.
    public func delay<R: RandomNumberGenerator>(attempt: Int, using random: inout R) -> Int64 {
        let ceiling = ceiling(attempt: attempt)
        return Int64.random(in: (ceiling / 2)...ceiling, using: &random)
    }

    public func delay(attempt: Int) -> Int64 {
        var random = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &random)
    }
}
