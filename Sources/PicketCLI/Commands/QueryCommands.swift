import ArgumentParser
import Foundation
import PicketCore
import PicketStore

/// Opens an existing database for reading (read-only where it cannot be
/// written); a missing or unreadable one is exit 66.
func openForReading(_ explicit: String?) throws -> Store {
    let path = DefaultPaths.database(explicit: explicit)
    return try Store.openForReading(path: path)
}

/// The options `events` and `alerts` share: which rows, how many, and
/// whether to keep following.
struct RowOptions: ParsableArguments {
    // `.unconditional`: `--since -5m` takes `-5m` as its value instead of
    // reading it as an unknown option.
    @Option(
        name: .long, parsing: .unconditional,
        help: "Only rows at or after T: an RFC 3339 time, or an age such as 90s, 15m, 2h, 3d (also written -15m).")
    var since: String?

    @Option(name: .long, parsing: .unconditional, help: "Only rows at or before T (the same forms as --since).")
    var until: String?

    @Option(name: .long, help: "Only this zone's rows.")
    var zone: String?

    @Option(name: .long, help: "Only the newest N rows (still printed oldest first).")
    var limit: String?

    @Flag(
        name: .long,
        help: "Keep printing new rows as they are committed (by a running picket run) until SIGINT or SIGTERM.")
    var follow = false

    /// The query these options ask for; a value that cannot be read is a usage error naming it.
    func query(now: Int64) throws -> RowQuery {
        var query = RowQuery(zone: zone)
        query.since = try Self.time("--since", since, now: now)
        query.until = try Self.time("--until", until, now: now)
        if let limit {
            guard let n = Int(limit), n >= 0 else {
                throw CLIError(
                    message: "--limit: '\(limit)' is not a whole number of rows (0 or more)", code: ExitStatus.usage)
            }
            query.limit = n
        }
        return query
    }

    private static func time(_ option: String, _ text: String?, now: Int64) throws -> Int64? {
        guard let text else { return nil }
        guard let ns = EventsCommand.parseSince(text, now: now) else {
            throw CLIError(
                message: "\(option): '\(text)' is neither an RFC 3339 time nor an age like 15m, 2h, 3d",
                code: ExitStatus.usage)
        }
        return ns
    }

    static var now: Int64 { SystemClock().wallNs() }
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Lists stored events in time order.",
        discussion: """
            Rows stream: memory does not grow with the database. --limit N prints the newest N, oldest first; \
            --follow then keeps printing events as a running daemon commits them (in the order they are \
            stored), until SIGINT or SIGTERM (exit 0).
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var rows: RowOptions

    @Option(name: .long, help: "Only this sensor's events.")
    var sensor: String?

    @Flag(name: .long, help: "One JSON object a line.")
    var json = false

    func run() throws {
        try reportingErrors {
            var query = try rows.query(now: RowOptions.now)
            query.sensor = sensor
            let store = try openForReading(database.db)
            let names = try store.longestSensorAndZone()
            let table = StreamingTable(
                ["TS", "SENSOR", "KIND", "ZONE", "SOURCE", "STATE", "CLASS", "STRENGTH", "EPISODE"],
                minimumWidths: [
                    30, names.sensor, SensorKind.allCases.map(\.rawValue.count).max() ?? 0, names.zone,
                    EventSource.allCases.map(\.rawValue.count).max() ?? 0,
                    EventState.allCases.map(\.rawValue.count).max() ?? 0, 0, 0, 8,
                ])
            try RowStream.run(
                query, follow: rows.follow, lastSeq: store.lastEventSeq,
                rows: { query in
                    try store.forEachEvent(query) { e in
                        try RowStream.checkStop()
                        if json {
                            Console.out(Self.json(e))
                        } else {
                            table.add([
                                UTCTime.format(e.ts), e.sensor, e.kind.rawValue, e.zone ?? "-", e.source.rawValue,
                                e.state.rawValue, e.detectionClass ?? "-", e.strength.map(String.init) ?? "-",
                                String(e.episode.prefix(8)),
                            ])
                        }
                    }
                },
                backlogDone: { if !json { table.start() } })
            Console.flush()
        }
    }

    static func json(_ e: Event) -> String {
        var w = JSONWriter()
        w.string("id", e.id)
        w.string("box", e.box)
        w.string("sector", e.sector)
        w.string("sensor", e.sensor)
        w.string("kind", e.kind.rawValue)
        w.string("zone", e.zone)
        w.string("source", e.source.rawValue)
        w.string("state", e.state.rawValue)
        w.time("ts", e.ts)
        w.int("ts_ns", e.ts)
        w.string("episode", e.episode)
        w.string("class", e.detectionClass)
        w.int("strength", e.strength)
        w.string("image_ref", e.imageRef)
        w.double("lat", e.position?.lat)
        w.double("lon", e.position?.lon)
        w.object("tags", e.tags)
        if let note = e.note { w.string("note", note) }
        if let reported = e.reportedTs { w.time("reported_ts", reported) }
        if e.clockSynced == false { w.bool("clock_synced", false) }
        return w.finish()
    }

    /// An RFC 3339 time or an age (`90s`, `15m`, `2h`, `3d`) before `now`;
    /// an age may also be written as a negative duration (`-15m`: the same
    /// 15 minutes ago). Times and ages beyond what the store's nanoseconds
    /// hold mean "from the beginning" or "nothing yet".
    static func parseSince(_ text: String, now: Int64) -> Int64? {
        if let ns = UTCTime.parse(text, saturating: true) { return ns }
        let age = text.hasPrefix("-") ? text.dropFirst() : text[...]
        guard let unit = age.last, age.first?.isNumber == true, let n = Int64(age.dropLast()), n >= 0 else {
            return nil
        }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default: return nil
        }
        let (ns, overflow) = n.multipliedReportingOverflow(by: scale * 1_000_000_000)
        let (since, borrow) = now.subtractingReportingOverflow(ns)
        return overflow || borrow ? Int64.min : since
    }
}

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Lists alerts and their delivery state.",
        discussion: """
            An alert's delivery is its sector endpoint's: pending (waiting, or retrying after a failure), \
            in_flight, delivered, dead (refused for good, with the endpoint's status and response), or \
            not_forwarded: never sent, because a replay forwards nothing and a box without forward: has \
            nowhere to send to. --retry ID puts a dead delivery (an alert's, or a text's, by id or a unique \
            prefix of one, as the ID column shows it) back in the queue; --all-dead puts every dead delivery \
            back. A running daemon sends them within 5 s.
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var rows: RowOptions

    @Flag(
        name: .long,
        help:
            "Only alerts waiting for delivery (pending or in flight); also lists texts held back (quiet hours, hourly cap)."
    )
    var pending = false

    @Flag(name: .long, help: "Only alerts on the dead-letter list, with the response that put them there.")
    var dead = false

    @Option(
        name: .long,
        help: "Put the dead delivery of this alert (or text) back in the queue: its id or a unique prefix of it.")
    var retry: String?

    @Flag(name: .long, help: "Put every dead delivery back in the queue.")
    var allDead = false

    @Flag(name: .long, help: "One JSON object a line.")
    var json = false

    func validate() throws {
        if retry != nil && allDead { throw ValidationError("--retry and --all-dead: give one of them") }
        if let retry, retry.isEmpty { throw ValidationError("--retry needs an id or the start of one") }
    }

    func run() throws {
        try reportingErrors {
            if retry != nil || allDead {
                try retryDead()
                Console.flush()
                return
            }
            var query = try rows.query(now: RowOptions.now)
            if pending || dead {
                query.deliveries = (pending ? ["pending", "in_flight"] : []) + (dead ? ["dead"] : [])
            }
            let store = try openForReading(database.db)
            let table = StreamingTable(
                ["ID", "FIRST_TS", "RULE", "SEVERITY", "ZONE", "DELIVERY", "SUMMARY"],
                minimumWidths: [
                    Self.shortID, 30, 0, Severity.allCases.map(\.rawValue.count).max() ?? 0,
                    try store.longestSensorAndZone().zone,
                    max(Delivery.State.allCases.map(\.rawValue.count).max() ?? 0, StoredAlert.notForwarded.count),
                ])
            try RowStream.run(
                query, follow: rows.follow, lastSeq: store.lastAlertSeq,
                rows: { query in
                    try store.forEachAlert(query) { stored, sector in
                        try RowStream.checkStop()
                        if json {
                            // An alert in the outbox (a live run with forward:) also
                            // shows its sector delivery's attempts and last response.
                            Console.out(Self.json(stored, sector: sector))
                        } else {
                            let a = stored.alert
                            table.add([
                                String(a.id.prefix(Self.shortID)), UTCTime.format(a.firstTs), a.rule,
                                a.severity.rawValue, a.zone ?? "-",
                                stored.delivery, a.summary,
                            ])
                        }
                    }
                },
                backlogDone: {
                    guard !json else { return }
                    table.start()
                    // Following prints alerts under the table's header, so not the outbox.
                    if (pending || dead) && !rows.follow && !RowStream.stopRequested { try printOutbox(store) }
                })
            Console.flush()
        }
    }

    /// How many characters of an alert's id the text view shows (enough for `--retry`).
    static let shortID = 8

    /// `--retry ID|PREFIX` or `--all-dead`: dead deliveries back to pending.
    private func retryDead() throws {
        let store = try Store(path: DefaultPaths.database(explicit: database.db), create: false)
        guard let retry else {
            let revived = try store.retryAllDead()
            Console.out(
                revived == 0 ? "no dead deliveries" : "\(revived) dead delivery(ies) back in the queue")
            return
        }
        let ids = try store.deadIDs(startingWith: retry)
        guard ids.count <= 1 else {
            throw CLIError(
                message: "--retry \(retry): ambiguous, the start of \(ids.count) ids with a dead delivery; "
                    + "give more of one:\n" + ids.map { "  \($0)" }.joined(separator: "\n"),
                code: ExitStatus.usage)
        }
        let id = ids.first ?? retry
        let revived = try store.retryDead(id)
        guard revived > 0 else {
            throw CLIError(
                message: "\(store.path): no dead delivery of \(retry) (see picket alerts --dead)",
                code: ExitStatus.dataError)
        }
        Console.out("\(id): \(revived) delivery(ies) back in the queue")
    }

    /// The outbox behind `--pending` / `--dead`: every message (texts too)
    /// with its attempts and the last response; with `--pending` also the
    /// texts held back (quiet hours, the hourly cap), state `held`.
    private func printOutbox(_ store: Store) throws {
        let states: [Delivery.State] = (pending ? [.pending, .inFlight] : []) + (dead ? [.dead] : [])
        let messages = try store.deliveries(states: states)
        let held = pending ? try store.heldTexts() : []
        guard !messages.isEmpty || !held.isEmpty else { return }
        Console.out("")
        var table = Table("ID", "TO", "STATE", "ATTEMPTS", "NEXT_ATTEMPT", "LAST_STATUS", "LAST_RESPONSE")
        for d in messages {
            table.add([
                d.id, d.destination, d.state.rawValue, String(d.attempts),
                d.state == .pending && d.nextAttemptTs > 0 ? UTCTime.format(d.nextAttemptTs) : "-",
                d.lastStatus.map(String.init) ?? "-", d.lastResponse ?? "-",
            ])
        }
        for h in held {
            table.add([
                h.alert, "sms:\(h.subscriber)", "held", "0", "-", "-",
                "held since \(UTCTime.format(h.heldTs)): quiet hours or the hourly cap",
            ])
        }
        table.print()
    }

    static func json(_ stored: StoredAlert, sector: DeliveryAttempts? = nil) -> String {
        var w = JSONWriter()
        AlertJSON.write(stored.alert, into: &w)
        w.string("delivery", stored.delivery)
        if let sector {
            w.int("attempts", sector.attempts)
            w.time("next_attempt_ts", sector.state == .pending && sector.nextAttemptTs > 0 ? sector.nextAttemptTs : nil)
            w.int("last_status", sector.lastStatus)
            w.string("last_response", sector.lastResponse)
        }
        return w.finish()
    }
}

struct SensorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensors",
        abstract:
            "Each sensor's health: last event, last heartbeat, battery, tamper, duplicates dropped, radio messages lost."
    )

    @OptionGroup var database: DatabaseOption

    @Flag(name: .long, help: "One JSON object a line.")
    var json = false

    func run() throws {
        try reportingErrors {
            let store = try openForReading(database.db)
            let sensors = try store.sensors()
            if json {
                for s in sensors { Console.out(Self.json(s)) }
            } else {
                try Self.printText(store, sensors)
            }
            Console.flush()
        }
    }

    static func json(_ s: SensorHealth) -> String {
        var w = JSONWriter()
        w.string("sensor", s.sensor)
        w.string("kind", s.kind.rawValue)
        w.string("zone", s.zone)
        w.time("last_event_ts", s.lastEventTs)
        w.time("last_heartbeat_ts", s.lastHeartbeatTs)
        w.int("battery_mv", s.batteryMv)
        w.double("temp_c", s.tempC)
        w.bool("tamper", s.tamper)
        w.int("duplicates", s.duplicates)
        w.int("lost", s.lost)
        w.int("glitches", s.glitches)
        w.int("unknown_sentences", s.unknownSentences)
        w.bool("driver_healthy", s.driverHealthy)
        w.string("driver_detail", s.driverDetail)
        if s.lastEventClockSynced == false { w.bool("clock_synced", false) }
        // Only where known (live sources): replays and older readers see the fields of before.
        if let source = s.source {
            w.string("source", source)
            w.int("ring_drops", s.ringDrops ?? 0)
        }
        return w.finish()
    }
}
