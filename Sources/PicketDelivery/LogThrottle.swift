import PicketCore

/// Lets each of several repeated errors through once per interval, with how
/// often it repeated meanwhile (a `RepeatLimiter` per key), so a database
/// that stays locked logs a line every 30 s, not ten a second.
struct LogThrottle {
    let intervalNs: Int64
    private var limiters: [String: RepeatLimiter] = [:]

    init(intervalNs: Int64 = 30_000_000_000) {
        self.intervalNs = intervalNs
    }

    /// nil: stay quiet; else log now, saying it repeated this many times
    /// since it was last logged.
    mutating func admit(_ key: String, now: Int64) -> Int? {
        limiters[key, default: RepeatLimiter(intervalNs: intervalNs)].occurred(now: now)
    }
}
