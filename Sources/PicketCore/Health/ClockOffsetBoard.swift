import Synchronization

/// The system clock's last measured offset from GPS time, shared between
/// the pipeline (which writes it after each commit) and readers on other
/// threads: the metrics' `picket_clock_gps_offset_seconds`.
public final class ClockOffsetBoard: Sendable {
    private let latest = Mutex<ClockOffset?>(nil)

    public init() {}

    public func update(_ offset: ClockOffset) { latest.withLock { $0 = offset } }

    /// The last offset, nil until an RMC with date and time was seen.
    public var offset: ClockOffset? { latest.withLock { $0 } }

    /// The offset in seconds (positive: the system clock is ahead).
    public var seconds: Double? { offset?.seconds }
}
