import ArgumentParser
import Foundation
import Logging
import PicketConfig
import PicketCore
import PicketDaemon
import PicketSector

/// `picket sector`: the sector service (PRODUCT.md section 7a).
struct SectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sector",
        abstract: "Runs the sector service that receives alerts and statuses from boxes.",
        subcommands: [SectorServeCommand.self, SectorOperatorsCommand.self, SectorSubscribersCommand.self],
        defaultSubcommand: SectorServeCommand.self)

    /// `$CONFIGURATION_DIRECTORY/sector.yaml`, else `/etc/picket/sector.yaml`.
    static var defaultConfiguration: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["CONFIGURATION_DIRECTORY"]?.split(separator: ":").first, !dir.isEmpty {
            return "\(dir)/sector.yaml"
        }
        return "/etc/picket/sector.yaml"
    }

    /// The configured database, migrated, as `picket sector` opens it; a
    /// problem is a `CLIError` naming the line of `database` and its exit
    /// code (78 for a URL that cannot be used, 74 for a server that fails).
    /// Shut a `PostgresSectorStore` down when done.
    static func openStore(_ configuration: SectorConfiguration, logger: Logger) async throws -> any SectorStore {
        do {
            if case .sqlite(let path) = configuration.database { try DefaultPaths.prepareDirectory(for: path) }
            return try await SectorServer.openStore(configuration, logger: logger)
        } catch let error as SectorStartError {
            throw CLIError(message: error.message, code: ExitStatus.config)
        } catch let error as PostgresSectorStore.Failure {
            // The server is down, refuses the user or lacks the database: say which line to check.
            let line = configuration.databaseLine.map { ":\($0)" } ?? ""
            throw CLIError(message: "\(configuration.file)\(line): database.url: \(error)", code: ExitStatus.ioError)
        } catch let error as PostgresSectorStore.SchemaTooNew {
            throw CLIError(message: "\(error)", code: ExitStatus.ioError)
        }
    }
}

struct SectorServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Runs the sector service in the foreground until SIGTERM or SIGINT (the default).",
        discussion: """
            Listens on the configuration's listen address (default 127.0.0.1:8080) for POST /v1/alerts and \
            POST /v1/status from the boxes in boxes, each checked against its secret_file; operators read \
            GET /v1/alerts and GET /v1/boxes and acknowledge with POST /v1/alerts/ID/ack (HTTP basic auth, \
            operators_file). Under systemd (Type=notify) it reports ready once it listens.
            """)

    @Option(name: .long, help: "The sector's YAML configuration (default: /etc/picket/sector.yaml).")
    var config: String?

    @OptionGroup var logging: LogLevelOption

    func run() async throws {
        let logger = logging.logger()
        try await reportingErrors {
            let configuration = try SectorConfigurationLoader.load(path: config ?? SectorCommand.defaultConfiguration)
            let keys: BoxKeys
            let hotline: HotlineWebhook?
            let gateway: SectorGateway?
            do {
                keys = try BoxKeys(configuration: configuration)
                hotline = try HotlineWebhook(configuration: configuration)
                gateway = try SectorGateway.load(configuration)
            } catch {
                throw CLIError(message: "\(error)", code: ExitStatus.config)
            }
            let store = try await SectorCommand.openStore(configuration, logger: logger)
            if let hotline { logger.notice("hotline: taking incoming texts at \(hotline.url)") }
            if configuration.hotline != nil, gateway == nil {
                logger.notice("hotline: no credentials_file, so no texts are sent to subscribers")
            }
            let server = SectorServer(
                configuration: configuration, store: store, keys: keys, hotline: hotline, clock: SystemClock(),
                logger: logger, gateway: gateway)
            let notifier = SystemdNotifier()
            // The pool closes after the HTTP service has answered its last request.
            do {
                try await server.run { port in
                    notifier?.notify(
                        "READY=1\nSTATUS=sector \(configuration.sector) listening on \(configuration.host):\(port)")
                }
            } catch {
                if let postgres = store as? PostgresSectorStore { await postgres.shutdown() }
                throw error
            }
            if let postgres = store as? PostgresSectorStore { await postgres.shutdown() }
        }
    }
}

struct SectorOperatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operators",
        abstract: "Manages the operators who may read and acknowledge alerts.",
        subcommands: [SectorOperatorsAddCommand.self])
}

struct SectorOperatorsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract:
            "Adds an operator: reads the password from standard input, appends NAME:bcrypt-hash to operators_file.",
        discussion: """
            The file is created with mode 0600 when missing. A name with ':' or one already in the file is \
            refused. The password is the first line of standard input (echo 'secret' | picket sector \
            operators add alice).
            """)

    @Argument(help: "The operator's name (no ':').")
    var name: String

    @Option(name: .long, help: "The sector's YAML configuration (default: /etc/picket/sector.yaml).")
    var config: String?

    func run() throws {
        try reportingErrors {
            let configuration = try SectorConfigurationLoader.load(path: config ?? SectorCommand.defaultConfiguration)
            guard let path = configuration.operatorsFile else {
                throw CLIError(
                    message:
                        "\(configuration.file): operators_file: is not set; add e.g. operators_file: /etc/picket/sector-operators",
                    code: ExitStatus.config)
            }
            if let problem = Operators.nameProblem(name) {
                throw CLIError(message: "\(problem); choose another name", code: ExitStatus.usage)
            }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError(
                    message:
                        "no password on standard input: echo the password into picket sector operators add \(name)",
                    code: ExitStatus.dataError)
            }
            do {
                try Operators(path: path).add(name: name, password: line)
            } catch let error as Operators.FileError {
                let duplicate = error.problem.contains("already in the file")
                throw CLIError(message: "\(error)", code: duplicate ? ExitStatus.dataError : ExitStatus.ioError)
            }
            Console.out("operator \(name) added to \(path)")
        }
    }
}
