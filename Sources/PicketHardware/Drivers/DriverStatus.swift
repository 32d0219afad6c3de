import Synchronization

/// What a live driver says about one of its sources: a GPIO line or a
/// serial port that works, or does not and is being retried.
public struct DriverStatus: Sendable, Equatable {
    /// `gpiochip0:17` for a line, the port's path for a serial port.
    public var source: String
    /// The configured sensors this source feeds (a GPIO line's sensor; none
    /// for a serial port, whose radio relays whoever is in range).
    public var sensors: [String]
    public var healthy: Bool
    /// Why not, naming the device: `gpiochip0 line 17: line is busy`.
    public var detail: String
    /// UTC nanoseconds.
    public var ts: Int64

    public init(source: String, sensors: [String], healthy: Bool, detail: String, ts: Int64) {
        self.source = source
        self.sensors = sensors
        self.healthy = healthy
        self.detail = detail
        self.ts = ts
    }
}

/// Where drivers report the health of their sources. Thread-safe: drivers
/// report from their own threads; the daemon takes the reports to the store
/// and the log.
public final class DriverHealthBoard: Sendable {
    private let pending = Mutex<[DriverStatus]>([])

    public init() {}

    public func report(_ status: DriverStatus) {
        pending.withLock { $0.append(status) }
    }

    /// Takes the reports made since the last call, oldest first.
    public func take() -> [DriverStatus] {
        pending.withLock { reports in
            defer { reports.removeAll() }
            return reports
        }
    }
}
