import ArgumentParser
import Foundation
import Logging
import PicketConfig
import PicketCore
import PicketDaemon
import PicketDelivery
import PicketHardware

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs the daemon in the foreground until SIGTERM or SIGINT.",
        discussion: """
            With --simulate the inputs come from the simulated field kit (people on the trail, vehicles at \
            the ford, animals, radio heartbeats, GPS); without --config it uses the kit's embedded \
            configuration (Config/picket.simulate.yaml). Without --simulate it reads the configured GPIO \
            lines through libgpiod and serial ports through termios; a line or port that cannot be opened \
            is reported unhealthy (logs, `picket sensors`) and retried while the rest keep running.

            SIGHUP reloads the configuration: it is validated first and refused (logged) on any problem; \
            a valid one is applied by a graceful restart inside the process, without losing stored events.

            The database is --db, else the configuration's storage.path, else $STATE_DIRECTORY/picket.db, \
            else /var/lib/picket/picket.db for root and ~/.local/state/picket/picket.db for anyone else.
            """)

    @Option(
        name: .long,
        help: "The YAML configuration (default: /etc/picket/picket.yaml; with --simulate: the simulated field kit).")
    var config: String?

    @Flag(name: .long, help: "Feed the daemon from the simulated field kit.")
    var simulate = false

    @Option(name: .long, help: "The SQLite database.")
    var db: String?

    func validate() throws { try validateDatabasePath(db) }

    @Option(
        name: .long,
        help: "Also write every input the hot path consumes to this recording; replaying it reproduces the run.")
    var record: String?

    @OptionGroup var logging: LogLevelOption

    func run() async throws {
        let logger = logging.logger()
        // Trapped first: a SIGTERM while the configuration loads still stops cleanly.
        let signals = await ShutdownSignals.trap(logger: logger)
        defer { signals.cancel() }
        #if DEBUG
            // Test hook, only in debug builds (the tests'): a start as slow as
            // a box's SD card can make it, to show that a signal meanwhile
            // still stops cleanly. A release binary has no such hook.
            if let ms = ProcessInfo.processInfo.environment["PICKET_TEST_SLOW_START_MS"].flatMap(Int.init) {
                logger.notice("slow start (test hook)", metadata: ["ms": "\(ms)"])
                try? await Task.sleep(for: .milliseconds(ms))
            }
        #endif
        try await reportingErrors {
            let configuration = try loadConfiguration(simulate ? config : config ?? DefaultPaths.configuration)
            if !simulate {
                // The simulated kit's ports are not devices: nothing to warn about there.
                for warning in CheckConfigCommand.warnings(path: config ?? DefaultPaths.configuration) {
                    logger.warning("configuration warning", metadata: ["warning": "\(warning)"])
                }
            }
            // What check-config checks too: refused before any hardware is opened.
            try DeliveryService.validateSecrets(configuration)
            let path = DefaultPaths.database(explicit: db, configuration: configuration)
            try DefaultPaths.prepareDirectory(for: path)
            let clock = UTCMapping()
            let health = DriverHealthBoard()
            let selection = try LiveDrivers.make(
                configuration: configuration, simulate: simulate, clock: clock, health: health, logger: logger)
            let source = simulate ? config : config ?? DefaultPaths.configuration
            let simulate = simulate
            let reload = Daemon.Reload(
                load: { try loadConfiguration(source) },
                makeDrivers: {
                    try LiveDrivers.make(
                        configuration: $0, simulate: simulate, clock: clock, health: health, logger: logger)
                })
            try await Daemon.run(
                configuration: configuration, databasePath: path, drivers: selection.drivers, logger: logger,
                clock: clock, health: health, driverCounters: selection.counters, recordTo: record, reload: reload,
                // The simulated kit's alerts are a drill: CAP says `Exercise`.
                exercise: simulate, signals: signals)
        }
    }
}
