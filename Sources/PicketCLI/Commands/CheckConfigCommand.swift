import ArgumentParser
import PicketConfig
import PicketCore

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validates a configuration: every problem, with file, line and key; exit 78 when any.")

    @Argument(help: "The YAML configuration file.")
    var path: String

    func run() throws {
        let configuration: PicketConfiguration
        do { configuration = try ConfigLoader.load(path: path) } catch { throw fail(error) }
        let radio = configuration.sensors.count
        Console.out(
            "\(path): OK: box \(configuration.box), sector \(configuration.sector); "
                + "\(configuration.gpio.count) GPIO line\(configuration.gpio.count == 1 ? "" : "s"), "
                + "\(configuration.serial.count) serial port\(configuration.serial.count == 1 ? "" : "s"), "
                + "\(radio) radio sensor\(radio == 1 ? "" : "s"), "
                + "\(configuration.rules.count) rule\(configuration.rules.count == 1 ? "" : "s"); "
                + Self.storageSummary(configuration.retention))
    }

    /// `storage.retain_days` and `storage.max_mb` as the daemon will apply them.
    static func storageSummary(_ retention: RetentionSettings) -> String {
        "events kept \(retention.retainDays) day\(retention.retainDays == 1 ? "" : "s")"
            + (retention.maxMB.map { ", database at most \($0) MB" } ?? "")
    }
}
