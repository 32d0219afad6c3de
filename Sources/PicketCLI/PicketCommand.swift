import ArgumentParser
import Foundation
import Logging
import PicketConfig
import PicketCore

/// The `picket` command line (PRODUCT.md section 8).
public struct PicketCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "picket",
        abstract: "Reads ground sensors and trail cameras, stores events and raises alerts.",
        discussion: """
            Exit codes follow sysexits: 0 success, 64 usage, 65 bad input data, 66 missing input, \
            74 I/O error, 78 configuration error.
            """,
        version: PicketVersion.current,
        subcommands: [
            RunCommand.self, ReplayCommand.self, RecordCommand.self, EventsCommand.self, AlertsCommand.self,
            SensorsCommand.self,
            CheckConfigCommand.self, ReportCommand.self, SectorCommand.self,
        ])

    public init() {}

    /// Entry point for the executable: sets up logging, then parses and runs.
    public static func entry() async {
        // `picket` alone is a usage error: the help, on standard error, and 64.
        if CommandLine.arguments.count <= 1 {
            Console.rawError(helpMessage() + "\n")
            Foundation.exit(ExitStatus.usage)
        }
        let level: Logger.Level
        do {
            level = try LogLevels.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            Console.flush()
            Foundation.exit(fail(error).rawValue)
        }
        if JournalLogHandler.wanted(ProcessInfo.processInfo.environment) {
            LoggingSystem.bootstrap { _ in JournalLogHandler(level: level) }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                // Values with control characters stay on their one line.
                return EscapingLogHandler(handler)
            }
        }
        // A closed pipe (`picket events | head`) must end output, not the process by signal.
        signal(SIGPIPE, SIG_IGN)
        await main()
        Console.flush()
    }
}

/// Options shared by the commands that read a database.
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "The SQLite database (default: see `picket help run`).")
    var db: String?

    func validate() throws { try validateDatabasePath(db) }
}

/// `--db ""` and `--db :memory:` would make SQLite keep the database in a
/// temporary place or in memory: everything "stored" gone at exit, with a
/// success status. Refused as usage errors instead.
func validateDatabasePath(_ db: String?) throws {
    guard let db else { return }
    if db.allSatisfy(\.isWhitespace) {
        throw ValidationError("--db must name a database file, not an empty string")
    }
    if db == ":memory:" {
        throw ValidationError("--db :memory: would keep nothing; name a database file")
    }
}

/// The configuration at `path`, or the embedded simulated field kit.
func loadConfiguration(_ path: String?) throws -> PicketConfiguration {
    guard let path else { return DefaultConfiguration.load() }
    return try ConfigLoader.load(path: path)
}
