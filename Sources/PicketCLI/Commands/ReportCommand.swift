import ArgumentParser
import Foundation
import PicketConfig
import PicketCore
import PicketDaemon
import PicketStore

/// `picket report`: a hotline operator enters a sighting a landowner phoned
/// in (PRODUCT.md sections 7 and 8). It may run while `picket run` holds the
/// same database: the report is one short transaction, and the daemon takes
/// it from the inbox into its rules.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Stores a sighting a landowner phoned in, as an event with source report that takes part in rules.",
        discussion: """
            The report is stored as an event of the pseudo-sensor report (kind unknown, source report, state \
            active, its own episode, time now) with the zone, class and note given, and in the database's inbox \
            of reports, in one transaction. It prints the event's id and time.

            A running `picket run` on the same database takes the report into its rules within a second: a \
            sequence rule may name report as either sensor, e.g. sequence: [report, seis-7]. A report raises \
            no alert of its own, and no all_of rule can take it (its kind is unknown). Without a running \
            daemon the report waits in the inbox, and the next `picket run` takes it when it starts; a report \
            older than what the daemon has already processed reaches the rules in arrival order, not in time \
            order. `picket replay` never takes reports.

            Box, sector and position: from --config, else from the configuration \
            ($CONFIGURATION_DIRECTORY/picket.yaml or /etc/picket/picket.yaml) when that file exists; without \
            one, what the last `picket run` on the database recorded, else the box and sector of its latest \
            event, else the host name as box and sector unknown (with a warning). The position is the box's \
            last GPS fix, else the configured site. With a configuration, --zone must be a zone one of its \
            sensors is in.

            The database is --db, else the configuration's storage.path, else the default (see `picket help \
            run`); a missing database is created, since a report may be the first thing it holds. A daemon's \
            transaction is waited for up to 5 s; a database still locked after that exits 74 and stores \
            nothing. Exit codes: 64 a bad --class or --zone, 66 a missing --config file, 74 the database, 78 \
            a bad configuration.
            """)

    @Option(name: .long, help: "The zone of the sighting, e.g. north-fork.")
    var zone: String

    @Option(name: .customLong("class"), help: "What was seen: FOOT, VEH, ANIM or UNK.")
    var detectionClass: String?

    @Option(name: .long, help: "What the caller said, in free text.")
    var note: String?

    @OptionGroup var database: DatabaseOption

    @Option(
        name: .long,
        help: "The YAML configuration (box, sector, site, storage.path; default: /etc/picket/picket.yaml if it exists)."
    )
    var config: String?

    var trimmedZone: String { zone.trimmingCharacters(in: .whitespaces) }

    var parsedClass: DetectionClass? { detectionClass.flatMap { DetectionClass(rawValue: $0.uppercased()) } }

    var trimmedNote: String? {
        guard let text = note?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    func validate() throws {
        guard !trimmedZone.isEmpty else { throw ValidationError("--zone must name a zone, e.g. --zone north-fork") }
        if let detectionClass, parsedClass == nil {
            let choices = DetectionClass.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--class must be one of \(choices), not '\(detectionClass)'")
        }
    }

    func run() throws {
        try reportingErrors {
            let configPath = config ?? Self.defaultConfigurationIfPresent()
            var configuration: PicketConfiguration?
            if let configPath { configuration = try ConfigLoader.load(path: configPath) }
            if let configuration, let configPath {
                try Self.check(zone: trimmedZone, in: configuration, path: configPath)
            }
            let path = DefaultPaths.database(explicit: database.db, configuration: configuration)
            try DefaultPaths.prepareDirectory(for: path)
            try Self.naming(path) { try store(configuration: configuration, path: path) }
            Console.flush()
        }
    }

    private func store(configuration: PicketConfiguration?, path: String) throws {
        let store = try Store(path: path)
        let identity: (box: String, sector: String, site: Position?)? =
            try configuration.map { ($0.box, $0.sector, $0.site) }
            ?? store.identity().map { ($0.box, $0.sector, $0.site) }
        let box = identity?.box ?? Self.hostName
        let sector = identity?.sector ?? "unknown"
        if identity == nil {
            Console.error(
                "no configuration (pass --config) and nothing in \(path) says which box this is: "
                    + "the report is stamped box \(box), sector \(sector)")
        }
        let ts = SystemClock().wallNs()
        let event = Report.event(
            box: box, sector: sector, zone: trimmedZone, detectionClass: parsedClass, note: trimmedNote, ts: ts,
            position: try store.boxFix()?.position ?? identity?.site)
        let stored = try store.storeReport(event)
        Console.out(
            "\(stored ? "stored" : "already stored:") report \(event.id) at \(UTCTime.format(ts)), "
                + "zone \(trimmedZone), box \(box)")
        if try store.isDaemonRunning() { return }
        Console.error(
            "no picket run is writing to \(path): the report is stored, and takes part in rules when "
                + "picket run next starts on this database")
    }

    /// The configuration of a live box, when this machine has one.
    static func defaultConfigurationIfPresent() -> String? {
        let path = DefaultPaths.configuration
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A report names a zone of the box's sensors: an alert a report
    /// completes carries its zone, and a typo would match no landowner's.
    static func check(zone: String, in configuration: PicketConfiguration, path: String) throws {
        var zones: [String] = []
        for zone in configuration.allSensors.compactMap(\.zone) where !zones.contains(zone) { zones.append(zone) }
        guard !zones.isEmpty, !zones.contains(zone) else { return }
        throw CLIError(
            message: "--zone: no sensor in \(path) is in zone \(zone) (configured zones: "
                + "\(zones.joined(separator: ", ")))",
            code: ExitStatus.usage)
    }

    /// A database still locked after the busy timeout is an I/O error (74)
    /// whose message says that nothing was stored.
    static func naming(_ path: String, _ body: () throws -> Void) throws {
        func locked() -> CLIError {
            CLIError(
                message: "\(path): the database stayed locked for more than 5 s (another process is writing to it); "
                    + "the report was NOT stored: enter it again",
                code: ExitStatus.ioError)
        }
        do {
            try body()
        } catch StoreError.sqlite(let error) where error.isLocked {
            throw locked()
        } catch let error as SQLiteError where error.isLocked {
            throw locked()
        }
    }

    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "unknown" : name
    }
}
