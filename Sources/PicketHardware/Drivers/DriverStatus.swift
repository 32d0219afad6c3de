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
/// and the log, and `/healthz` reads each source's latest state.
public final class DriverHealthBoard: Sendable {
    private struct State {
        var pending: [DriverStatus] = []
        var latest: [String: DriverStatus] = [:]
        var expected: [String] = []
    }

    private let state = Mutex<State>(State())

    public init() {}

    public func report(_ status: DriverStatus) {
        state.withLock {
            $0.pending.append(status)
            $0.latest[status.source] = status
        }
    }

    /// Takes the reports made since the last call, oldest first.
    public func take() -> [DriverStatus] {
        state.withLock { state in
            defer { state.pending.removeAll() }
            return state.pending
        }
    }

    /// The sources the live drivers will report on (GPIO lines as
    /// `chip:line`, serial ports by path): one that has said nothing yet is
    /// not healthy. The simulated kit expects none.
    public func expect(_ sources: [String]) {
        state.withLock { $0.expected = sources }
    }

    /// Every expected or reported source with its latest state; nil where
    /// its driver has not reported yet. In the order expected, then by name.
    public func current() -> [(source: String, status: DriverStatus?)] {
        state.withLock { state in
            let extra = state.latest.keys.filter { !state.expected.contains($0) }.sorted()
            return (state.expected + extra).map { ($0, state.latest[$0]) }
        }
    }
}
