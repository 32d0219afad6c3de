import ArgumentParser
import Foundation
import Logging

/// The log levels an operator may name, for `--log-level` and
/// `PICKET_LOG_LEVEL` alike.
enum LogLevels {
    static let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")

    /// The level `text` names (any case), or nil.
    static func parse(_ text: String) -> Logger.Level? {
        Logger.Level(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// `PICKET_LOG_LEVEL` (unset or empty: info); a value that is no level
    /// is a usage error naming it rather than silently `info`.
    static func fromEnvironment(_ environment: [String: String]) throws -> Logger.Level {
        guard let text = environment["PICKET_LOG_LEVEL"], !text.isEmpty else { return .info }
        guard let level = parse(text) else {
            throw CLIError(
                message: "PICKET_LOG_LEVEL: '\(text)' is not a log level (one of \(names))", code: ExitStatus.usage)
        }
        return level
    }
}

/// `--log-level` of the commands that log (`run`, `record`, `replay`).
struct LogLevelOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The lowest level logged: \(LogLevels.names) (default: $PICKET_LOG_LEVEL, else info).",
            valueName: "level"))
    var logLevel: String?

    func validate() throws {
        if let logLevel, LogLevels.parse(logLevel) == nil {
            throw ValidationError("--log-level: '\(logLevel)' is not a log level (one of \(LogLevels.names))")
        }
    }

    /// The command's logger, at `--log-level` when given (else the level
    /// `PICKET_LOG_LEVEL` set at start-up).
    func logger() -> Logger {
        var logger = Logger(label: "picket")
        if let level = logLevel.flatMap(LogLevels.parse) { logger.logLevel = level }
        return logger
    }
}
