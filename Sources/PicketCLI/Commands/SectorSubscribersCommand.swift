import ArgumentParser
import Logging
import PicketConfig
import PicketCore
import PicketSector

/// `picket sector subscribers add|list|remove` (PRODUCT.md 7a): the
/// hotline's subscriber list in the sector's database, on the database
/// `picket sector` uses (SQLite or PostgreSQL), for a technician at the
/// sector's console. The fleet page and `/v1/subscribers` change the same list.
///
/// Exit codes: 64 for a flag value that is not what it must be (named
/// with the expected form), 65 for `add` of a phone already a subscriber's
/// and `remove` of a phone no subscriber has, 78 and 74 as `picket sector`.
struct SectorSubscribersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribers",
        abstract: "Lists, adds and removes the landowners the sector's hotline texts.",
        subcommands: [
            SectorSubscribersAddCommand.self, SectorSubscribersListCommand.self, SectorSubscribersRemoveCommand.self,
        ])

    /// Opens the configured database, runs `body` on it, and closes it.
    static func withStore<R>(
        config: String?, _ body: (SectorConfiguration, any SectorStore) async throws -> R
    ) async throws -> R {
        let configuration = try SectorConfigurationLoader.load(path: config ?? SectorCommand.defaultConfiguration)
        var logger = Logger(label: "picket")
        logger.logLevel = .warning
        let store = try await SectorCommand.openStore(configuration, logger: logger)
        do {
            let result = try await body(configuration, store)
            if let postgres = store as? PostgresSectorStore { await postgres.shutdown() }
            return result
        } catch {
            if let postgres = store as? PostgresSectorStore { await postgres.shutdown() }
            throw error
        }
    }
}

struct SectorSubscribersAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Adds a subscriber to the sector's hotline.",
        discussion: """
            Zones are zone names (texted for that zone in every box) or box:zone (in that box only), \
            comma-separated. A box:zone whose box is not in the configuration's boxes is kept with a \
            warning. A phone already on the list is refused (exit 65): remove it first to change it.
            """)

    @Option(name: .long, help: "The subscriber's name, e.g. \"North farm\".")
    var name: String

    @Option(name: .long, help: "The subscriber's phone in E.164, e.g. +18025550100.")
    var phone: String

    @Option(name: .long, help: "Zones, comma-separated: zone names or box:zone, e.g. north-fork,ridge-01:gate.")
    var zones: String

    @Option(
        name: .customLong("min-severity"), help: "The lowest severity texted: low (default), medium, high, critical.")
    var minSeverity: String?

    @Option(name: .customLong("quiet-hours"), help: "HH:MM-HH:MM in local time when only critical alerts are texted.")
    var quietHours: String?

    @Option(name: .customLong("max-per-hour"), help: "At most this many texts an hour; the rest go as a digest.")
    var maxPerHour: String?

    @Option(name: .long, help: "The sector's YAML configuration (default: /etc/picket/sector.yaml).")
    var config: String?

    /// The flag each field of `SubscriberChecks` comes from.
    static let flags = [
        "name": "--name", "phone": "--phone", "zones": "--zones", "min_severity": "--min-severity",
        "quiet_hours": "--quiet-hours", "max_per_hour": "--max-per-hour",
    ]

    /// The subscriber the flags describe, or the usage error naming the flag, its value and the form expected.
    func checkedSubscriber() throws -> Subscriber {
        var cap: Int?
        if let maxPerHour {
            guard let value = Int(maxPerHour) else {
                throw CLIError(
                    message:
                        "--max-per-hour \(LogText.escaped(maxPerHour)): \(SubscriberChecks.maxPerHourExpectation), e.g. 4",
                    code: ExitStatus.usage)
            }
            cap = value
        }
        let zoneList = zones.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        }
        if zoneList.contains(where: \.isEmpty) {
            throw CLIError(
                message: "--zones \(LogText.escaped(zones)): must be zone names or box:zone separated by commas, e.g. "
                    + "north-fork,ridge-01:gate (an empty one is between two commas or at an end)",
                code: ExitStatus.usage)
        }
        do throws(SubscriberChecks.FieldProblem) {
            return try SubscriberChecks.sectorSubscriber(
                name: name, phone: phone, zones: zoneList, minSeverity: minSeverity, quietHours: quietHours,
                maxPerHour: cap)
        } catch {
            let flag = Self.flags[error.field] ?? error.field
            throw CLIError(
                message: "\(flag)\(error.value.map { " \(LogText.escaped($0))" } ?? ""): \(error.problem.expectation)",
                code: ExitStatus.usage)
        }
    }

    func run() async throws {
        try await reportingErrors {
            let subscriber = try checkedSubscriber()
            try await SectorSubscribersCommand.withStore(config: config) { configuration, store in
                let known = Set(configuration.boxes.map(\.box))
                for warning in SectorJSON.unknownBoxWarnings(subscriber, knows: known.contains) {
                    Console.error("warning: \(configuration.file): \(warning)")
                }
                guard try await store.addSubscriber(subscriber, at: SystemClock().wallNs()) == .stored else {
                    throw CLIError(
                        message: "--phone \(subscriber.phone): is a subscriber's already (picket sector subscribers "
                            + "list); remove it first to change its entry",
                        code: ExitStatus.dataError)
                }
                Console.out("subscriber \(subscriber.name) (\(subscriber.phone)) added")
            }
            Console.flush()
        }
    }
}

struct SectorSubscribersListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Lists the sector's hotline subscribers by name, with their opt-outs.")

    @Flag(name: .long, help: "One JSON object a line.")
    var json = false

    @Option(name: .long, help: "The sector's YAML configuration (default: /etc/picket/sector.yaml).")
    var config: String?

    func run() async throws {
        try await reportingErrors {
            let subscribers = try await SectorSubscribersCommand.withStore(config: config) { _, store in
                try await store.subscribers()
            }
            if json {
                for s in subscribers { Console.out(SectorJSON.subscriber(s)) }
            } else if subscribers.isEmpty {
                Console.out("no subscribers (picket sector subscribers add --name N --phone E164 --zones Z)")
            } else {
                var table = Table("NAME", "PHONE", "ZONES", "MIN", "QUIET", "CAP/H", "TEXTS")
                for s in subscribers {
                    let sub = s.subscriber
                    table.add([
                        LogText.escaped(sub.name), sub.phone, LogText.escaped(sub.zones.joined(separator: ",")),
                        sub.minSeverity.rawValue, sub.quietHours.map(SubscriberChecks.text) ?? "-",
                        sub.maxPerHour.map(String.init) ?? "-", s.optedOut ? "OPTED OUT (STOP)" : "yes",
                    ])
                }
                table.print()
            }
            Console.flush()
        }
    }
}

struct SectorSubscribersRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Removes the subscriber with this phone; an opt-out (STOP) of the phone stays.")

    @Argument(help: "The subscriber's phone in E.164, e.g. +18025550100.")
    var phone: String

    @Option(name: .long, help: "The sector's YAML configuration (default: /etc/picket/sector.yaml).")
    var config: String?

    func run() async throws {
        try await reportingErrors {
            do throws(SubscriberChecks.Problem) {
                _ = try SubscriberChecks.phone(phone)
            } catch {
                throw CLIError(message: "PHONE \(LogText.escaped(phone)): \(error.expectation)", code: ExitStatus.usage)
            }
            try await SectorSubscribersCommand.withStore(config: config) { _, store in
                guard let existing = try await store.subscriber(phone: phone),
                    try await store.removeSubscriber(phone: phone)
                else {
                    throw CLIError(
                        message: "no subscriber has phone \(phone) (picket sector subscribers list shows them)",
                        code: ExitStatus.dataError)
                }
                Console.out("subscriber \(existing.subscriber.name) (\(phone)) removed")
            }
            Console.flush()
        }
    }
}
