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

    /// - Parameter gpioBackend: where GPIO lines come from (libgpiod on a box).
    public static func make(
        configuration: PicketConfiguration, simulate: Bool, clock: UTCMapping, health: DriverHealthBoard,
        logger: Logger, gpioBackend: any GPIOBackend = LibgpiodBackend()
    ) throws -> Selection {
        if simulate {
            health.expect([])
            let driver = SimulatedDriver(configuration: configuration, mapping: clock)
            return Selection(drivers: [driver], counters: { [:] })
        }
        guard !configuration.gpio.isEmpty || !configuration.serial.isEmpty else {
            throw LiveDriverError.nothingToRead
        }
        health.expect(PicketMetrics.sourceNames(configuration))
        // One driver for every line: each hub ring has one producer.
        let gpio =
            configuration.gpio.isEmpty
            ? nil
            : LibgpiodGPIODriver(
                lines: configuration.gpio, backend: gpioBackend, mapping: clock, health: health, logger: logger)
        var drivers: [any InputDriver] = gpio.map { [$0] } ?? []
        for (index, port) in configuration.serial.enumerated() {
            drivers.append(
                TermiosSerialDriver(portIndex: index, config: port, mapping: clock, health: health, logger: logger))
        }
        return Selection(
            drivers: drivers,
            counters: {
                guard let gpio else { return [:] }
                return [
                    "gpio_synthetic_edges": gpio.syntheticEdges, "gpio_full_batches": gpio.fullBatchesRead,
                    "gpio_storm_releases": gpio.stormReleaseCount,
                ]
            })
    }
}

/// Why live drivers cannot start.
public enum LiveDriverError: Error, CustomStringConvertible {
    case nothingToRead

    public var description: String {
        switch self {
        case .nothingToRead: "the configuration has no gpio lines and no serial ports: nothing to read"
        }
    }
}
