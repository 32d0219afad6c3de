import Logging
import PicketCore
import PicketHardware

/// The drivers of `picket run` and `picket record`: the simulated field kit,
/// or libgpiod for the GPIO lines and termios for each serial port.
public enum LiveDrivers {
    public struct Selection: Sendable {
        public var drivers: [any InputDriver]
        /// Counters the drivers keep, for the run's counters.
        public var counters: @Sendable () -> [String: Int]
    }

    public static func make(
        configuration: PicketConfiguration, simulate: Bool, clock: UTCMapping, health: DriverHealthBoard,
        logger: Logger
    ) throws -> Selection {
        if simulate {
            let driver = SimulatedDriver(configuration: configuration, utcNow: { clock.now() })
            return Selection(drivers: [driver], counters: { [:] })
        }
        throw LiveDriverError.unavailable
    }
}

/// Why live drivers cannot start.
public enum LiveDriverError: Error, CustomStringConvertible {
    case nothingToRead
    case unavailable

    public var description: String {
        switch self {
        case .nothingToRead: "the configuration has no gpio lines and no serial ports: nothing to read"
        case .unavailable:
            "live drivers (libgpiod GPIO, termios serial) are not in this build yet; use --simulate"
        }
    }
}
