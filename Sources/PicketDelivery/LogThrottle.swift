/// Lets a repeated error through once per interval, with how often it
/// repeated meanwhile, so a database that stays locked logs a line every
/// 30 s, not ten a second.
struct LogThrottle {
    let intervalNs: Int64
    private var seen: [String: (loggedNs: Int64, repeats: Int)] = [:]

    init(intervalNs: Int64 = 30_000_000_000) {
        self.intervalNs = intervalNs
    }

    /// nil: stay quiet; else log now, saying it repeated this many times
    /// since it was last logged.
    mutating func admit(_ key: String, now: Int64) -> Int? {
        guard let last = seen[key] else {
            seen[key] = (now, 0)
            return 0
        }
        guard now - last.loggedNs >= intervalNs else {
            seen[key] = (last.loggedNs, last.repeats + 1)
            return nil
        }
        seen[key] = (now, 0)
        return last.repeats
    }
}
