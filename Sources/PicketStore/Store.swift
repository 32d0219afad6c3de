import CSQLite
import Foundation
import PicketCore

/// Why the store could not be used.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case sqlite(SQLiteError)
    case schemaTooNew(path: String, found: Int, supported: Int)
    /// Opened read-only, so the migrations it needs cannot run.
    case schemaTooOld(path: String, found: Int, supported: Int)
    case missing(path: String)
    /// The path cannot be read as a database: a directory, permission denied.
    case unusable(path: String, reason: String)
    /// The database can be read but not written, and this command writes.
    case readOnly(path: String, reason: String)

    public var description: String {
        switch self {
        case .sqlite(let error): error.description
        case .schemaTooNew(let path, let found, let supported):
            "\(path): database schema version \(found) is newer than this picket understands (\(supported)); "
                + "use a newer picket or another --db"
        case .schemaTooOld(let path, let found, let supported):
            "\(path): database schema version \(found) is older than this picket's (\(supported)) and the file "
                + "was opened read-only; open it once read-write (any picket run, replay or query) to migrate it"
        case .missing(let path): "\(path): no such database (run or replay first, or pass --db)"
        case .unusable(let path, let reason), .readOnly(let path, let reason): "\(path): \(reason)"
        }
    }
}

/// Picket's SQLite database: events, episodes (as the events' `episode`),
/// alerts with their delivery state, sensor health and counters. Everything
/// lives here so a restart loses nothing.
///
/// Writes come in batches, one transaction each; WAL with `synchronous=FULL`
/// makes a committed batch survive a power cut while readers (the CLI) never
/// block the writer.
public final class Store {
    public let database: SQLiteDatabase
    public var path: String { database.path }

    /// Opens (creating when `create`) and migrates the database at `path`.
    public init(path: String, create: Bool = true, readOnly: Bool = false) throws(StoreError) {
        if let problem = DatabasePath.readProblem(path, create: create) { throw problem }
        if !readOnly, let problem = DatabasePath.writeProblem(path) { throw problem }
        do {
            database = try SQLiteDatabase(
                path: path, readOnly: readOnly, immutable: readOnly && DatabasePath.needsImmutable(path))
            if !readOnly {
                // Before WAL: switching the journal mode writes the first page,
                // and auto_vacuum can only be chosen before that.
                try Self.enableWAL(database, incrementalVacuum: Self.isEmptyFile(database))
            }
            let version = try database.userVersion
            if version > Schema.migrations.count {
                throw StoreError.schemaTooNew(path: path, found: version, supported: Schema.migrations.count)
            }
            if version < Schema.migrations.count {
                guard !readOnly else {
                    throw StoreError.schemaTooOld(path: path, found: version, supported: Schema.migrations.count)
                }
                try database.transaction {
                    // Read again under the write lock: another process (the
                    // daemon, `picket report`) may have migrated meanwhile.
                    let current = try database.userVersion
                    for (index, migration) in Schema.migrations.enumerated().dropFirst(current) {
                        try database.execute(migration)
                        try database.execute("PRAGMA user_version = \(index + 1)")
                    }
                }
            }
        } catch let error as StoreError {
            throw error
        } catch let error as SQLiteError {
            throw .sqlite(error)
        } catch {
            throw .sqlite(SQLiteError(code: SQLITE_ERROR, message: "\(error)", sql: nil, path: path))
        }
    }

    public static var schemaVersion: Int { Schema.migrations.count }

    /// Switches the file to WAL. Switching a new file's journal mode takes an
    /// exclusive lock, and SQLite answers SQLITE_BUSY at once, without the busy
    /// handler, when another process opening the same new file holds a lock
    /// (seen in CI with six connections at once): retry for as long as the busy
    /// timeout would have waited.
    /// A brand-new file (`incrementalVacuum`) is made able to shrink after
    /// pruning (`Store+Retention.swift`).
    static func enableWAL(_ database: SQLiteDatabase, incrementalVacuum: Bool = false) throws(SQLiteError) {
        var waitedMs = 0
        while true {
            do {
                try database.execute(
                    (incrementalVacuum ? "PRAGMA auto_vacuum = INCREMENTAL; " : "")
                        + "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
                return
            } catch  where error.code & 0xff == SQLITE_BUSY && waitedMs < SQLiteDatabase.busyTimeoutMs {
                usleep(10_000)
                waitedMs += 10
            }
        }
    }

    func wrap<R>(_ body: () throws -> R) throws(StoreError) -> R {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw .sqlite(error)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .sqlite(SQLiteError(code: SQLITE_ERROR, message: "\(error)", sql: nil, path: path))
        }
    }

    // MARK: - Writing

    /// Records a run (a daemon start or a replay) and the configured sensors.
    public func beginRun(id: String, mode: String, startedTs: Int64, input: String?, sensors: [SensorConfig])
        throws(StoreError)
    {
        try wrap {
            try database.transaction {
                let run = try database.statement(
                    """
                    INSERT INTO runs (run, mode, started_ts, updated_ts, input) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (run) DO UPDATE SET updated_ts = excluded.updated_ts
                    """)
                run.bind(1, id)
                run.bind(2, mode)
                run.bind(3, startedTs)
                run.bind(4, startedTs)
                run.bind(5, input)
                try run.run()
                let sensor = try database.statement(
                    """
                    INSERT INTO sensors (sensor, kind, zone) VALUES (?, ?, ?)
                    ON CONFLICT (sensor) DO UPDATE SET kind = excluded.kind, zone = excluded.zone
                    """)
                for config in sensors {
                    sensor.reset()
                    sensor.bind(1, config.id)
                    sensor.bind(2, config.kind.rawValue)
                    sensor.bind(3, config.zone)
                    try sensor.run()
                }
            }
        }
    }

    /// Writes one batch in one transaction. Events and alerts are keyed by
    /// their deterministic ids, so writing the same batch twice (a replay run
    /// again into the same database) stores them once; counters of a run are
    /// replaced, not added.
    public func write(_ batch: StoreBatch, run: String, now: Int64) throws(StoreError) {
        try wrap {
            try database.transaction {
                try insertEvents(batch.events)
                try markTaken(batch.takenReports, run: run, now: now)
                // An alert with no sector delivery in its batch (a replay, a
                // box without `forward`) is never sent: `not_forwarded`.
                let forwarded = Set(batch.outbox.map(\.id))
                try insertAlerts(batch.alerts, forwarded: forwarded)
                try enqueue(batch.outbox, now: now)
                try hold(batch.hotlineMatches, now: now)
                try updateStatuses(batch.statuses)
                if let fix = batch.fix {
                    let s = try database.statement(
                        "INSERT INTO box (key, value) VALUES ('fix', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                    )
                    s.bind(1, "\(fix.position.lat),\(fix.position.lon),\(fix.ts)")
                    try s.run()
                }
                if let clock = batch.clockOffset { try storeClockOffset(clock) }
                let counter = try database.statement(
                    """
                    INSERT INTO counters (run, name, value) VALUES (?, ?, ?)
                    ON CONFLICT (run, name) DO UPDATE SET value = excluded.value
                    """)
                for (name, value) in batch.counters.sorted(by: { $0.key < $1.key }) {
                    counter.reset()
                    counter.bind(1, run)
                    counter.bind(2, name)
                    counter.bind(3, value)
                    try counter.run()
                }
                let sensorCounter = try database.statement(
                    """
                    INSERT INTO sensor_counters (run, sensor, duplicates, lost, glitches, unknown_sentences)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (run, sensor) DO UPDATE SET duplicates = excluded.duplicates, lost = excluded.lost,
                        glitches = excluded.glitches, unknown_sentences = excluded.unknown_sentences
                    """)
                let unknown = try database.statement(
                    "INSERT OR IGNORE INTO sensors (sensor, kind) VALUES (?, 'unknown')")
                for (sensor, c) in batch.sensorCounters.sorted(by: { $0.key < $1.key }) {
                    if c.unknownSentences > 0 {
                        unknown.reset()
                        unknown.bind(1, sensor)
                        try unknown.run()
                    }
                    sensorCounter.reset()
                    sensorCounter.bind(1, run)
                    sensorCounter.bind(2, sensor)
                    sensorCounter.bind(3, c.duplicates)
                    sensorCounter.bind(4, c.lost)
                    sensorCounter.bind(5, c.glitches)
                    sensorCounter.bind(6, c.unknownSentences)
                    try sensorCounter.run()
                }
                try updateSources(batch.sourceReports)
                let touch = try database.statement("UPDATE runs SET updated_ts = ? WHERE run = ?")
                touch.bind(1, now)
                touch.bind(2, run)
                try touch.run()
            }
        }
    }

    func insertEvents(_ events: [Event]) throws {
        guard !events.isEmpty else { return }
        let s = try database.statement(
            """
            INSERT OR IGNORE INTO events (id, box, sector, sensor, kind, zone, source, state, ts, episode, class,
                strength, image_ref, lat, lon, tags, note, reported_ts, clock_synced)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let unknown = try database.statement("INSERT OR IGNORE INTO sensors (sensor, kind) VALUES (?, 'unknown')")
        // Through the buffer, so each field is read in place: `for e in
        // events` copies every event, a retain and a release per string.
        // The last tags and their JSON are kept: a sensor's events carry the
        // same tags (its configuration's), encoded once instead of per event.
        var lastTags: [String: String] = [:]
        var lastTagsJSON = "{}"
        try events.withUnsafeBufferPointer { events in
            for i in events.indices {
                s.reset()
                s.bindRowText(1, events[i].id)
                s.bindRowText(2, events[i].box)
                s.bindRowText(3, events[i].sector)
                s.bindRowText(4, events[i].sensor)
                s.bindRowText(5, events[i].kind.rawValue)
                s.bindRowText(6, events[i].zone)
                s.bindRowText(7, events[i].source.rawValue)
                s.bindRowText(8, events[i].state.rawValue)
                s.bind(9, events[i].ts)
                s.bindRowText(10, events[i].episode)
                s.bindRowText(11, events[i].detectionClass)
                s.bind(12, events[i].strength)
                s.bindRowText(13, events[i].imageRef)
                s.bind(14, events[i].position?.lat)
                s.bind(15, events[i].position?.lon)
                if events[i].tags != lastTags {
                    lastTags = events[i].tags
                    lastTagsJSON = lastTags.isEmpty ? "{}" : JSONWriter.object(lastTags)
                }
                s.bindRowText(16, lastTagsJSON)
                s.bindRowText(17, events[i].note)
                s.bind(18, events[i].reportedTs)
                s.bind(19, events[i].clockSynced.map { $0 ? 1 : 0 })
                try s.run()
                if events[i].kind == .unknown {
                    unknown.reset()
                    unknown.bind(1, events[i].sensor)
                    try unknown.run()
                }
            }
        }
    }

    /// `forwarded`: the ids of alerts whose sector delivery the batch queues.
    private func insertAlerts(_ alerts: [Alert], forwarded: Set<String>) throws {
        guard !alerts.isEmpty else { return }
        let s = try database.statement(
            """
            INSERT OR IGNORE INTO alerts (id, rule, severity, severity_rank, box, sector, zone, first_ts, last_ts,
                direction, events, lat, lon, summary, delivery)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // In place, as in `insertEvents`: no copy of each alert.
        try alerts.withUnsafeBufferPointer { alerts in
            for i in alerts.indices {
                s.reset()
                s.bindRowText(1, alerts[i].id)
                s.bindRowText(2, alerts[i].rule)
                s.bindRowText(3, alerts[i].severity.rawValue)
                s.bind(4, alerts[i].severity.rank)
                s.bindRowText(5, alerts[i].box)
                s.bindRowText(6, alerts[i].sector)
                s.bindRowText(7, alerts[i].zone)
                s.bind(8, alerts[i].firstTs)
                s.bind(9, alerts[i].lastTs)
                s.bindRowText(10, alerts[i].direction)
                s.bindRowText(11, JSONWriter.array(alerts[i].events))
                s.bind(12, alerts[i].position?.lat)
                s.bind(13, alerts[i].position?.lon)
                s.bindRowText(14, alerts[i].summary)
                let isForwarded = !forwarded.isEmpty && forwarded.contains(alerts[i].id)
                s.bindRowText(15, isForwarded ? StoredAlert.pending : StoredAlert.notForwarded)
                try s.run()
            }
        }
    }

    private func updateSources(
        _ reports: [(source: String, sensors: [String], healthy: Bool, detail: String, ts: Int64)]
    ) throws {
        guard !reports.isEmpty else { return }
        // `since_ts` moves only when the state changes, so "unhealthy since" stays put across retries.
        let s = try database.statement(
            """
            INSERT INTO sources (source, sensors, healthy, detail, since_ts, ts) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (source) DO UPDATE SET sensors = excluded.sensors, detail = excluded.detail,
                ts = excluded.ts,
                since_ts = CASE WHEN healthy = excluded.healthy THEN since_ts ELSE excluded.since_ts END,
                healthy = excluded.healthy
            """)
        for r in reports {
            s.reset()
            s.bind(1, r.source)
            s.bind(2, JSONWriter.array(r.sensors))
            s.bind(3, r.healthy ? 1 : 0)
            s.bind(4, r.detail)
            s.bind(5, r.ts)
            s.bind(6, r.ts)
            try s.run()
        }
    }

    private func updateStatuses(_ statuses: [SensorStatus]) throws {
        guard !statuses.isEmpty else { return }
        let ensure = try database.statement("INSERT OR IGNORE INTO sensors (sensor, kind) VALUES (?, 'unknown')")
        let s = try database.statement(
            """
            UPDATE sensors SET last_heartbeat_ts = ?, battery_mv = ?, temp_c = ?, tamper = ?
            WHERE sensor = ? AND (last_heartbeat_ts IS NULL OR last_heartbeat_ts <= ?)
            """)
        for status in statuses {
            ensure.reset()
            ensure.bind(1, status.sensor)
            try ensure.run()
            s.reset()
            s.bind(1, status.ts)
            s.bind(2, status.batteryMv)
            s.bind(3, status.tempC)
            s.bind(4, status.tamper ? 1 : 0)
            s.bind(5, status.sensor)
            s.bind(6, status.ts)
            try s.run()
        }
    }

    // MARK: - Reading

    /// Calls `body` with each stored event in time order (then storage order).
    public func forEachEvent(since: Int64? = nil, sensor: String? = nil, _ body: (Event) throws -> Void)
        throws
    {
        try forEachEvent(RowQuery(since: since, sensor: sensor), body)
    }

    static let eventColumns = """
        id, box, sector, sensor, kind, zone, source, state, ts, episode, class, strength, image_ref, lat, lon, tags,
        note, reported_ts, clock_synced
        """

    /// The event in the current row of a statement that selected `eventColumns`.
    static func event(_ s: SQLiteStatement) -> Event {
        let lat = s.optionalDouble(13)
        let lon = s.optionalDouble(14)
        return Event(
            id: s.string(0), box: s.string(1), sector: s.string(2), sensor: s.string(3),
            kind: SensorKind(rawValue: s.string(4)) ?? .unknown, zone: s.optionalString(5),
            source: EventSource(rawValue: s.string(6)) ?? .serial,
            state: EventState(rawValue: s.string(7)) ?? .active, ts: s.int64(8), episode: s.string(9),
            detectionClass: s.optionalString(10), strength: s.optionalInt(11), imageRef: s.optionalString(12),
            position: lat.flatMap { lat in lon.map { Position(lat: lat, lon: $0) } },
            tags: decodeObject(s.string(15)), note: s.optionalString(16), reportedTs: s.optionalInt64(17),
            clockSynced: s.optionalInt(18).map { $0 != 0 })
    }

    /// Every stored event, for tests and small databases.
    public func events(since: Int64? = nil, sensor: String? = nil) throws -> [Event] {
        var out: [Event] = []
        try forEachEvent(since: since, sensor: sensor) { out.append($0) }
        return out
    }

    /// Alerts in time order; `deliveries` filters by delivery state.
    public func alerts(deliveries: [String]? = nil) throws -> [StoredAlert] {
        try alerts(where: deliveries.map { "delivery IN (" + $0.map { "'\($0)'" }.joined(separator: ",") + ")" })
    }

    /// Alerts matching an SQL condition (with `?1` bound to `argument`), in time order.
    func alerts(where condition: String?, argument: String? = nil) throws -> [StoredAlert] {
        var sql = """
            SELECT id, rule, severity, box, sector, zone, first_ts, last_ts, direction, events, lat, lon, summary,
                delivery FROM alerts
            """
        if let condition { sql += " WHERE " + condition }
        sql += " ORDER BY first_ts, seq"
        let s = try database.statement(sql)
        s.reset()
        if let argument { s.bind(1, argument) }
        var out: [StoredAlert] = []
        while try s.step() {
            let lat = s.optionalDouble(10)
            let lon = s.optionalDouble(11)
            let alert = Alert(
                id: s.string(0), rule: s.string(1), severity: Severity(rawValue: s.string(2)) ?? .low,
                box: s.string(3), sector: s.string(4), zone: s.optionalString(5), firstTs: s.int64(6),
                lastTs: s.int64(7), direction: s.optionalString(8), events: Self.decodeArray(s.string(9)),
                position: lat.flatMap { lat in lon.map { Position(lat: lat, lon: $0) } }, summary: s.string(12))
            out.append(StoredAlert(alert: alert, delivery: s.string(13)))
        }
        s.reset()
        return out
    }

    /// Health of every sensor the database knows, by id.
    public func sensors() throws -> [SensorHealth] {
        let s = try database.statement(
            """
            SELECT s.sensor, s.kind, s.zone,
                (SELECT MAX(ts) FROM events e WHERE e.sensor = s.sensor),
                s.last_heartbeat_ts, s.battery_mv, s.temp_c, s.tamper,
                COALESCE(SUM(c.duplicates), 0), COALESCE(SUM(c.lost), 0), COALESCE(SUM(c.glitches), 0),
                COALESCE(SUM(c.unknown_sentences), 0),
                (SELECT clock_synced FROM events e WHERE e.sensor = s.sensor ORDER BY ts DESC LIMIT 1)
            FROM sensors s LEFT JOIN sensor_counters c ON c.sensor = s.sensor
            GROUP BY s.sensor ORDER BY s.sensor
            """)
        var out: [SensorHealth] = []
        while try s.step() {
            var health = SensorHealth(
                sensor: s.string(0), kind: SensorKind(rawValue: s.string(1)) ?? .unknown,
                zone: s.optionalString(2), lastEventTs: s.optionalInt64(3), lastHeartbeatTs: s.optionalInt64(4),
                batteryMv: s.optionalInt(5), tempC: s.optionalDouble(6), tamper: s.optionalInt(7).map { $0 != 0 },
                duplicates: s.int(8), lost: s.int(9), glitches: s.int(10), unknownSentences: s.int(11))
            health.lastEventClockSynced = s.optionalInt(12).map { $0 != 0 }
            out.append(health)
        }
        s.reset()
        var bySensor: [String: SourceHealth] = [:]
        let sources = try sources()
        for source in sources {
            for sensor in source.sensors where bySensor[sensor].map({ $0.ts <= source.ts }) ?? true {
                bySensor[sensor] = source
            }
        }
        // A serial port relays whichever sensor is in range: with one port,
        // every sensor not on a GPIO line is heard through it.
        let ports = sources.filter(\.sensors.isEmpty)
        let drops = try sourceDrops()
        for i in out.indices where out[i].sensor != Report.sensor {
            guard let source = bySensor[out[i].sensor] ?? (ports.count == 1 ? ports[0] : nil) else { continue }
            out[i].driverHealthy = source.healthy
            out[i].driverDetail = source.healthy ? nil : source.detail
            out[i].source = source.source
            out[i].ringDrops = drops[source.source] ?? 0
        }
        return out
    }

    /// The last report about every live driver source, by source.
    public func sources() throws -> [SourceHealth] {
        let s = try database.statement(
            "SELECT source, sensors, healthy, detail, since_ts, ts FROM sources ORDER BY source")
        var out: [SourceHealth] = []
        while try s.step() {
            out.append(
                SourceHealth(
                    source: s.string(0), sensors: Self.decodeArray(s.string(1)), healthy: s.int(2) != 0,
                    detail: s.string(3), sinceTs: s.int64(4), ts: s.int64(5)))
        }
        s.reset()
        return out
    }

    /// Inputs each live source dropped because its ring was full, all runs together.
    public func sourceDrops() throws -> [String: Int] {
        let s = try database.statement(
            "SELECT substr(name, 12), SUM(value) FROM counters WHERE name LIKE 'ring_drops.%' GROUP BY name")
        var out: [String: Int] = [:]
        while try s.step() { out[s.string(0)] = s.int(1) }
        s.reset()
        return out
    }

    /// Cumulative counters of one run.
    public func counters(run: String) throws -> [String: Int] {
        let s = try database.statement("SELECT name, value FROM counters WHERE run = ?")
        s.bind(1, run)
        var out: [String: Int] = [:]
        while try s.step() { out[s.string(0)] = s.int(1) }
        s.reset()
        return out
    }

    /// The box's last GPS fix, if one was stored.
    public func boxFix() throws -> (position: Position, ts: Int64)? {
        let s = try database.statement("SELECT value FROM box WHERE key = 'fix'")
        defer { s.reset() }
        guard try s.step() else { return nil }
        let parts = s.string(0).split(separator: ",")
        guard parts.count == 3, let lat = Double(parts[0]), let lon = Double(parts[1]), let ts = Int64(parts[2])
        else { return nil }
        return (Position(lat: lat, lon: lon), ts)
    }

    public func count(_ table: String) throws -> Int {
        let s = try database.statement("SELECT COUNT(*) FROM \(table)")
        defer { s.reset() }
        return try s.step() ? s.int(0) : 0
    }

    static func decodeObject(_ json: String) -> [String: String] {
        guard json != "{}", let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object.compactMapValues { $0 as? String }
    }

    static func decodeArray(_ json: String) -> [String] {
        guard let data = json.data(using: .utf8), let array = try? JSONSerialization.jsonObject(with: data) as? [Any]
        else { return [] }
        return array.compactMap { $0 as? String }
    }
}
