/// Says when a repeated problem is worth another log line: the first time,
/// then at most once per `intervalNs`, with how many repeats went unsaid
/// meanwhile. A box with a full disk or a dead link would otherwise write
/// the same line ten times a second into a journal nobody reads for months.
public struct RepeatLimiter: Sendable {
    public let intervalNs: Int64
    private var lastLoggedNs: Int64?
    private var unsaid = 0

    public init(intervalNs: Int64 = 30_000_000_000) {
        self.intervalNs = intervalNs
    }

    /// One more occurrence at `now` (monotonic ns). Returns nil when it goes
    /// unsaid, else how many occurrences went unsaid since the last line.
    public mutating func occurred(now: Int64) -> Int? {
        if let last = lastLoggedNs, now - last < intervalNs {
            unsaid += 1
            return nil
        }
        defer {
            lastLoggedNs = now
            unsaid = 0
        }
        return unsaid
    }

    /// The problem is over: the next occurrence is logged at once. Returns
    /// how many occurrences went unsaid since the last line.
    @discardableResult
    public mutating func cleared() -> Int {
        defer {
            lastLoggedNs = nil
            unsaid = 0
        }
        return unsaid
    }

    /// Whether the problem is going on (it occurred and has not cleared).
    public var isActive: Bool { lastLoggedNs != nil }
}
