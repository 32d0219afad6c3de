import ArgumentParser
import Logging
import PicketConfig
import PicketCore
import PicketDaemon
import PicketHardware

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs the daemon in the foreground until SIGTERM or SIGINT.",
        discussion: """
            With --simulate the inputs come from the simulated field kit (people on the trail, vehicles at \
            the ford, animals, radio heartbeats, GPS); without --config it uses the kit's embedded \
            configuration (Config/picket.simulate.yaml). Live drivers (libgpiod, termios) are not in this \
            build yet: without --simulate, run exits 69.

            The database is --db, else the configuration's storage.path, else $STATE_DIRECTORY/picket.db, \
            else /var/lib/picket/picket.db for root and ~/.local/state/picket/picket.db for anyone else.
            """)

    @Option(name: .long, help: "The YAML configuration (default with --simulate: the simulated field kit).")
    var config: String?

    @Flag(name: .long, help: "Feed the daemon from the simulated field kit.")
    var simulate = false

    @Option(name: .long, help: "The SQLite database.")
    var db: String?

    @Option(name: .long, help: .hidden)
    var seed: UInt64 = 7

    func run() async throws {
        let logger = Logger(label: "picket")
        try await reportingErrors {
            guard simulate else {
                throw CLIError(
                    message: "live drivers (libgpiod GPIO, termios serial) are not in this build yet; "
                        + "use `picket run --simulate`",
                    code: ExitStatus.unavailable)
            }
            let configuration = try loadConfiguration(config)
            let path = DefaultPaths.database(explicit: db, configuration: configuration)
            try DefaultPaths.prepareDirectory(for: path)
            let driver = SimulatedDriver(configuration: configuration, seed: seed, utcNow: SystemClock.utcNow)
            try await Daemon.run(
                configuration: configuration, databasePath: path, drivers: [driver], logger: logger)
        }
    }
}
