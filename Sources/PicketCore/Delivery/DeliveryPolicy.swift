/// What to do after one attempt to deliver a message, and when to try
/// again: PRODUCT.md section 6 as a pure function of the response.
public struct DeliveryPolicy: Sendable, Equatable {
    /// What an attempt came to.
    public enum Outcome: Sendable, Equatable {
        case delivered
        /// Try again at the given UTC nanoseconds.
        case retry(atNs: Int64)
        /// The receiver refused it for good: onto the dead-letter list.
        case dead
    }

    /// The ceiling of the full-jitter backoff.
    public var backoff: RetryPolicy

    public init(backoff: RetryPolicy) {
        self.backoff = backoff
    }

    /// Full jitter over a ceiling doubling from 2 s to 10 min, at least
    /// 100 ms, so a fleet of boxes back on the link after an outage spreads
    /// its retries instead of hammering the endpoint in lockstep.
    public static let standard = DeliveryPolicy(
        backoff: RetryPolicy(
            initialNs: 2_000_000_000, maximumNs: 600_000_000_000, jitter: .full, minimumNs: 100_000_000))
    /// The longest `Retry-After` honoured; a longer one is clamped, so a
    /// misconfigured endpoint cannot park an alert for days.
    public static let maximumRetryAfterNs: Int64 = 3_600_000_000_000
    /// Attempts go on while the alert is this young (7 days); after that it is dead.
    public static let retentionNs: Int64 = 7 * 86_400 * 1_000_000_000

    /// The outcome of an HTTP response `status` to the `attempt`-th try
    /// (1-based) at `nowNs`, with the response's `Retry-After` if any.
    /// 2xx delivers; 408, 429 and 5xx retry (429 and 503 after
    /// `Retry-After`); any other 4xx is dead, and so is a 3xx: a redirect is
    /// a URL to correct in the configuration (the sender follows none, so a
    /// signed alert never goes where it was not configured to), and
    /// retrying it would only repeat it over a metered link. Anything else
    /// (1xx) retries with backoff so nothing is lost to it.
    public func outcome<R: RandomNumberGenerator>(
        status: Int, retryAfter: String?, attempt: Int, nowNs: Int64, using random: inout R
    ) -> Outcome {
        switch status {
        case 200..<300:
            return .delivered
        case 408:
            return .retry(atNs: nowNs + delay(attempt: attempt, using: &random))
        case 429, 503:
            if let retryAfter, let wait = Self.retryAfterNs(retryAfter, nowNs: nowNs) {
                return .retry(atNs: nowNs + min(wait, Self.maximumRetryAfterNs))
            }
            return .retry(atNs: nowNs + delay(attempt: attempt, using: &random))
        case 300..<500:
            return .dead
        default:
            return .retry(atNs: nowNs + delay(attempt: attempt, using: &random))
        }
    }

    /// The wait after a failure without a response (refused, timed out, TLS).
    public func afterFailure<R: RandomNumberGenerator>(attempt: Int, nowNs: Int64, using random: inout R)
        -> Int64
    {
        nowNs + delay(attempt: attempt, using: &random)
    }

    /// The backoff's delay after the `attempt`-th try (1-based): the
    /// first retry waits under the initial ceiling.
    public func delay<R: RandomNumberGenerator>(attempt: Int, using random: inout R) -> Int64 {
        backoff.delay(attempt: max(0, attempt - 1), using: &random)
    }

    /// `Retry-After` as nanoseconds from now: delay-seconds (`120`) or an
    /// HTTP-date (`Fri, 05 Jun 2026 03:14:00 GMT`); nil when it is neither.
    public static func retryAfterNs(_ value: String, nowNs: Int64) -> Int64? {
        let text = String(value.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        if let seconds = Int64(text), seconds >= 0 { return seconds * 1_000_000_000 }
        guard let date = httpDate(text) else { return nil }
        return max(0, date - nowNs)
    }

    /// IMF-fixdate (RFC 9110 section 5.6.7), the only form senders may use.
    static func httpDate(_ text: String) -> Int64? {
        // "Sun, 06 Nov 1994 08:49:37 GMT"
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]), let year = Int(parts[3]),
            let month = months.firstIndex(of: String(parts[2])).map({ $0 + 1 })
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let h = Int(clock[0]), let m = Int(clock[1]), let s = Int(clock[2]) else { return nil }
        let iso =
            String(format4(year)) + "-" + two(month) + "-" + two(day) + "T" + two(h) + ":" + two(m) + ":"
            + two(s) + "Z"
        return UTCTime.parse(iso)
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    private static func format4(_ n: Int) -> String { String(repeating: "0", count: max(0, 4 - "\(n)".count)) + "\(n)" }
}
