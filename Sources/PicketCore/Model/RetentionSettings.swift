/// `storage.retain_days` and `storage.max_mb`: how long a box keeps what it
/// stored, and how large its database may grow (PRODUCT.md section 9).
public struct RetentionSettings: Sendable, Equatable {
    /// Events, alerts and what hangs off them older than this many days
    /// are pruned in the background; default 90.
    public var retainDays: Int
    /// When set, the database file (with its WAL) is kept under this many
    /// megabytes (MiB), pruning oldest first even inside `retainDays`.
    public var maxMB: Int?

    public static let defaultRetainDays = 90
    /// About a century: a day count whose nanoseconds still fit in Int64.
    public static let maximumRetainDays = 36_500

    public init(retainDays: Int = Self.defaultRetainDays, maxMB: Int? = nil) {
        self.retainDays = retainDays
        self.maxMB = maxMB
    }

    /// `retainDays` in nanoseconds, the unit of stored timestamps.
    public var retainNs: Int64 { Int64(retainDays) * 86_400 * 1_000_000_000 }

    /// `maxMB` in bytes.
    public var maxBytes: Int64? { maxMB.map { Int64($0) * 1_048_576 } }
}
