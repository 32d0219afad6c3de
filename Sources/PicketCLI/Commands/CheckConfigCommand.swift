import ArgumentParser
import PicketConfig
import PicketCore
import PicketDaemon
import PicketDelivery
import PicketHardware

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validates a configuration: every problem, with file, line and key; exit 78 when any.",
        discussion: """
            Also checks what run checks before it opens hardware: forward.secret_file and \
            hotline.credentials_file must be private (not readable by every user), regular, non-empty files \
            of one line and at most 64 KiB, and every ca_file a readable, non-empty file. A secret configured \
            at /run/credentials/picket.service/NAME is checked at /etc/picket/NAME, which the unit's \
            LoadCredential= hands over.
            """)

    @Argument(help: "The YAML configuration file.")
    var path: String

    @Flag(
        name: .long,
        help: """
            Also open every configured serial port and request every GPIO line once, and report which are \
            missing, busy or refused (exit 74 when any is); run it as the service's user, with the service \
            stopped, or its own ports show as busy.
            """)
    var hardware = false

    func run() throws {
        let configuration: PicketConfiguration
        do { configuration = try ConfigLoader.load(path: path) } catch { throw fail(error) }
        // The same check run makes before it opens hardware: secrets and CA files.
        do { try DeliveryService.validateSecrets(configuration) } catch { throw fail(error) }
        // And what `run` refuses next: a box with nothing to read.
        if configuration.gpio.isEmpty && configuration.serial.isEmpty {
            Console.error("\(path): \(LiveDriverError.nothingToRead) (only picket run --simulate can use it)")
            throw ExitCode(ExitStatus.config)
        }
        let warnings = Self.warnings(path: path)
        for warning in warnings { Console.error("\(warning)") }
        // With --hardware, OK only once the ports and lines passed too.
        if hardware {
            let findings = HardwareCheck.run(configuration: configuration)
            for finding in findings { Console.out("\(finding)") }
            let problems = findings.count { $0.status == .problem }
            if problems > 0 {
                Console.error(
                    "\(path): \(problems) of the configured ports and lines cannot be used; see the PROBLEM lines above"
                )
                throw ExitCode(ExitStatus.ioError)
            }
        }
        let radio = configuration.sensors.count
        Console.out(
            "\(path): OK: box \(configuration.box), sector \(configuration.sector); "
                + "\(configuration.gpio.count) GPIO line\(configuration.gpio.count == 1 ? "" : "s"), "
                + "\(configuration.serial.count) serial port\(configuration.serial.count == 1 ? "" : "s"), "
                + "\(radio) radio sensor\(radio == 1 ? "" : "s"), "
                + "\(configuration.rules.count) rule\(configuration.rules.count == 1 ? "" : "s"); "
                + Self.storageSummary(configuration.retention)
                + (warnings.isEmpty ? "" : "; \(warnings.count) warning\(warnings.count == 1 ? "" : "s")")
                + (hardware ? "; every port and line usable" : ""))
    }

    /// What the valid file at `path` may still get wrong on a box (printed, never refused).
    static func warnings(path: String) -> [ConfigProblem] {
        guard let yaml = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return ConfigWarnings.check(yaml: yaml, file: path)
    }

    /// `storage.retain_days` and `storage.max_mb` as the daemon will apply them.
    static func storageSummary(_ retention: RetentionSettings) -> String {
        "events kept \(retention.retainDays) day\(retention.retainDays == 1 ? "" : "s")"
            + (retention.maxMB.map { ", database at most \($0) MB" } ?? "")
    }
}
