/// Capped exponential backoff with jitter: the one retry schedule, for
/// reopening a device that failed (an unplugged serial adapter, a GPIO line
/// another process holds) and for the outbox's sender (`DeliveryPolicy`):
/// retry soon after a glitch, settle at `maximumNs` for a long outage, and
/// spread out so several failed sources (or a fleet of boxes back on the
/// link) do not retry in lockstep.
public struct RetryPolicy: Sendable, Equatable {
    /// Where in [0, ceiling] a delay falls.
    public enum Jitter: Sendable, Equatable {
        /// Uniform in [0, ceiling] ("full jitter"): the widest spread, for
        /// many senders sharing one endpoint.
        case full
        /// Uniform in [ceiling / 2, ceiling] ("equal jitter"): a retry
        /// never comes back at once.
        case equal
    }

    public var initialNs: Int64
    public var maximumNs: Int64
    public var jitter: Jitter
    /// No delay is shorter than this (a failing endpoint is never spun on).
    public var minimumNs: Int64

    public init(initialNs: Int64, maximumNs: Int64, jitter: Jitter = .equal, minimumNs: Int64 = 0) {
        self.initialNs = max(1, initialNs)
        self.maximumNs = max(self.initialNs, maximumNs)
        self.jitter = jitter
        self.minimumNs = max(0, minimumNs)
    }

    /// 250 ms doubling to a 30 s ceiling, equal jitter: the drivers' reopening.
    public static let `default` = RetryPolicy(initialNs: 250_000_000, maximumNs: 30_000_000_000)

    /// The ceiling for the `attempt`-th retry (0-based): initial × 2^attempt, capped.
    public func ceiling(attempt: Int) -> Int64 {
        let shift = min(max(0, attempt), 40)
        let (value, overflow) = initialNs.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? maximumNs : min(value, maximumNs)
    }

    /// How long to wait before the `attempt`-th retry (0-based): from the
    /// jitter's lower bound `low` to the ceiling, by one draw `r` of
    /// `random` as `low + ⌊r × (ceiling − low + 1) / 2⁶⁴⌋` (uniform for a
    /// uniform `r`: 0 gives `low`, `UInt64.max` the ceiling, `1 << 63` the
    /// middle), and never less than `minimumNs`.
    public func delay<R: RandomNumberGenerator>(attempt: Int, using random: inout R) -> Int64 {
        let ceiling = ceiling(attempt: attempt)
        let low = jitter == .full ? 0 : ceiling / 2
        let span = UInt64(ceiling - low)
        let draw = random.next().multipliedFullWidth(by: span + 1).high
        return max(minimumNs, low + Int64(draw))
    }

    public func delay(attempt: Int) -> Int64 {
        var random = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &random)
    }
}
