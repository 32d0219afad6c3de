import ArgumentParser
import Logging
import PicketCore
import PicketDaemon
import PicketHardware

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Captures live inputs into a recording, until SIGTERM, SIGINT or --duration.",
        discussion: """
            Writes every GPIO edge and serial read as it reaches the hot path, one line at a time, so a \
            killed recorder leaves a valid file up to its last full line. `picket replay` of the file gives \
            the events the live daemon would have stored. With --simulate the inputs come from the \
            simulated field kit.
            """)

    @Option(name: .long, help: "The recording to write (.jsonl); an existing file is replaced.")
    var out: String

    @Option(
        name: .long,
        help: "The YAML configuration (default: /etc/picket/picket.yaml; with --simulate: the simulated field kit).")
    var config: String?

    @Option(name: .long, help: "Stop after this many seconds.")
    var duration: Double?

    @Flag(name: .long, help: "Record the simulated field kit instead of the hardware.")
    var simulate = false

    func validate() throws {
        if let duration, !(duration > 0) { throw ValidationError("--duration must be a number of seconds > 0") }
    }

    @OptionGroup var logging: LogLevelOption

    func run() async throws {
        let logger = logging.logger()
        // Trapped first: a SIGTERM while the configuration loads still stops cleanly.
        let signals = await ShutdownSignals.trap(logger: logger)
        defer { signals.cancel() }
        try await reportingErrors {
            let configuration = try loadConfiguration(simulate ? config : config ?? DefaultPaths.configuration)
            let clock = UTCMapping()
            let health = DriverHealthBoard()
            let drivers = try LiveDrivers.make(
                configuration: configuration, simulate: simulate, clock: clock, health: health, logger: logger)
            let summary = try await Recorder.run(
                configuration: configuration, path: out, drivers: drivers.drivers, duration: duration, clock: clock,
                health: health, logger: logger, signals: signals)
            Console.out(
                "recorded \(summary.inputs) inputs (\(summary.bytes) bytes) to \(summary.path)"
                    + (summary.drops > 0 ? "; \(summary.drops) inputs dropped on the hot path" : ""))
        }
    }
}
