import Foundation
import PicketCore
import PicketStore

/// The sector's store in one SQLite file, in WAL mode with a busy timeout,
/// so a `picket sector` and a CLI command (or a second process) can share
/// it. An actor: one connection, one statement at a time. SQLite calls are
/// short and synchronous; a lock held by another process waits up to
/// `SQLiteDatabase.busyTimeoutMs` on this actor's thread.
public actor SQLiteSectorStore: SectorStore {
    /// A database written by a newer Picket than this one.
    public struct SchemaTooNew: Error, CustomStringConvertible {
        public var path: String
        public var version: Int
        public var known: Int
        public var description: String {
            "\(path): the sector database is at schema version \(version), this picket knows only up to \(known); "
                + "run the newer picket, or point database.path at another file"
        }
    }

    /// Internal, not private: the sessions' methods live in their own file.
    let database: SQLiteDatabase
    public nonisolated let path: String

    /// Opens (creating when missing) the file at `path`. Call `migrate()`
    /// before anything else.
    public init(path: String) throws {
        self.path = path
        let database = try SQLiteDatabase(path: path)
        try database.execute("PRAGMA journal_mode = WAL")
        // A 200 answered to a box means the alert is on disk: the box forgets it.
        try database.execute("PRAGMA synchronous = FULL")
        try database.execute("PRAGMA foreign_keys = ON")
        self.database = database
    }

    public func migrate() throws {
        try database.transaction {
            let version = try database.userVersion
            let known = SectorSchema.migrations.count
            guard version <= known else { throw SchemaTooNew(path: path, version: version, known: known) }
            for (index, sql) in SectorSchema.migrations.enumerated().dropFirst(version) {
                try database.execute(sql)
                try database.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    public func ping() throws {
        let statement = try database.statement("SELECT 1")
        defer { statement.reset() }
        _ = try statement.step()
    }

    public func registerBoxes(_ boxes: [String]) throws {
        try database.transaction {
            for box in boxes { try ensureBox(box) }
        }
    }

    private func ensureBox(_ box: String) throws {
        let statement = try database.statement("INSERT INTO boxes (box) VALUES (?) ON CONFLICT (box) DO NOTHING")
        statement.bind(1, box)
        try statement.run()
    }

    /// At most this many alerts in one transaction.
    static let groupCommitLimit = 256
    private let alertCommits = GroupCommit<IncomingAlert, StoreOutcome>(limit: groupCommitLimit, inFlight: 1)

    /// Group commit (`GroupCommit`): with `synchronous = FULL` each commit
    /// waits for the disk, so one transaction per alert would cap a sector
    /// at a few hundred alerts a second however fast the rest is; alerts
    /// that arrive while a commit is on the disk go into the next one
    /// together. Nobody is answered before their alert's commit.
    public func storeAlert(_ alert: IncomingAlert) async throws -> StoreOutcome {
        try await alertCommits.submit(alert) { alerts in try await self.commit(alerts) }
    }

    private func commit(_ alerts: [IncomingAlert]) throws -> [StoreOutcome] {
        try database.transaction { try alerts.map(storeInTransaction) }
    }

    /// The alert and its box's clock, inside the caller's transaction.
    private func storeInTransaction(_ alert: IncomingAlert) throws -> StoreOutcome {
        let outcome = try insert(SectorAlertRecord(alert))
        try updateClock(box: alert.box, offsetS: alert.clockOffsetS, wrong: false, at: alert.receivedTs)
        return outcome
    }

    public func storeSectorAlert(_ alert: SectorAlertRecord) throws -> StoreOutcome {
        try insert(alert)
    }

    private func insert(_ a: SectorAlertRecord) throws -> StoreOutcome {
        let statement = try database.statement(
            """
            INSERT INTO sector_alerts (id, source, box, format, rule, severity, zone, first_ts, last_ts, lat, lon,
                summary, received_ts, body, ack_by, ack_ts, sector, direction, events)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO NOTHING
            """)
        statement.bind(1, a.id)
        statement.bind(2, a.source.rawValue)
        statement.bind(3, a.box)
        statement.bind(4, a.format)
        statement.bind(5, a.rule)
        statement.bind(6, a.severity)
        statement.bind(7, a.zone)
        statement.bind(8, a.firstTs)
        statement.bind(9, a.lastTs)
        statement.bind(10, a.lat)
        statement.bind(11, a.lon)
        statement.bind(12, a.summary)
        statement.bind(13, a.receivedTs)
        statement.bind(14, a.body)
        statement.bind(15, a.acknowledgedBy)
        statement.bind(16, a.acknowledgedTs)
        statement.bind(17, a.sector)
        statement.bind(18, a.direction)
        statement.bind(19, a.eventsColumn)
        try statement.run()
        return database.changes == 1 ? .stored : .duplicate
    }

    public func storeStatus(_ status: IncomingStatus) throws -> SectorAlertRecord? {
        try database.transaction { () throws -> SectorAlertRecord? in
            try ensureBox(status.box)
            // Out of order (two processes, a slow request): the newer status stays.
            let update = try database.statement(
                """
                UPDATE boxes SET last_status = ?, last_status_ts = ?, last_status_box_ts = ?, clock_offset_s = ?,
                    clock_wrong = 0, clock_checked_ts = ?
                WHERE box = ? AND (last_status_ts IS NULL OR last_status_ts <= ?)
                """)
            update.bind(1, status.document)
            update.bind(2, status.receivedTs)
            update.bind(3, status.boxTs)
            update.bind(4, status.clockOffsetS)
            update.bind(5, status.receivedTs)
            update.bind(6, status.box)
            update.bind(7, status.receivedTs)
            try update.run()
            let online = try database.statement(
                "UPDATE boxes SET offline = 0, offline_changed_ts = ? WHERE box = ? AND offline = 1 RETURNING box")
            online.bind(1, status.receivedTs)
            online.bind(2, status.box)
            var returned = false
            while try online.step() { returned = true }
            online.reset()
            guard returned else { return nil }
            let alert = SectorAlerts.online(box: status.box, at: status.receivedTs)
            _ = try insert(alert)
            return alert
        }
    }

    public func noteClock(box: String, offsetS: Int64, wrong: Bool, at ts: Int64) throws {
        try database.transaction { try updateClock(box: box, offsetS: offsetS, wrong: wrong, at: ts) }
    }

    private func updateClock(box: String, offsetS: Int64, wrong: Bool, at ts: Int64) throws {
        let statement = try database.statement(
            """
            INSERT INTO boxes (box, clock_offset_s, clock_wrong, clock_checked_ts) VALUES (?, ?, ?, ?)
            ON CONFLICT (box) DO UPDATE SET clock_offset_s = excluded.clock_offset_s,
                clock_wrong = excluded.clock_wrong, clock_checked_ts = excluded.clock_checked_ts
            """)
        statement.bind(1, box)
        statement.bind(2, offsetS)
        statement.bind(3, wrong ? 1 : 0)
        statement.bind(4, ts)
        try statement.run()
    }

    static let alertColumns =
        "id, source, box, format, rule, severity, zone, first_ts, last_ts, lat, lon, summary, received_ts, body, ack_by, ack_ts, "
        + "sector, direction, events"

    static func record(_ s: SQLiteStatement) -> SectorAlertRecord {
        SectorAlertRecord(
            id: s.string(0), source: SectorAlertRecord.Source(rawValue: s.string(1)) ?? .box, box: s.string(2),
            format: s.string(3), sector: s.optionalString(16), rule: s.optionalString(4),
            severity: s.optionalString(5), zone: s.optionalString(6), firstTs: s.optionalInt64(7),
            lastTs: s.optionalInt64(8), direction: s.optionalString(17),
            events: SectorAlertRecord.events(column: s.optionalString(18)), lat: s.optionalDouble(9),
            lon: s.optionalDouble(10), summary: s.optionalString(11), receivedTs: s.int64(12), body: s.string(13),
            acknowledgedBy: s.optionalString(14), acknowledgedTs: s.optionalInt64(15))
    }

    public func alerts(_ query: AlertQuery) throws -> [SectorAlertRecord] {
        var clauses: [String] = []
        if query.since != nil { clauses.append("received_ts >= ?") }
        if query.box != nil { clauses.append("box = ?") }
        if query.zone != nil { clauses.append("zone = ?") }
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let order = query.order == .newestFirst ? "received_ts DESC, seq DESC" : "received_ts ASC, seq ASC"
        let statement = try database.statement(
            "SELECT \(Self.alertColumns) FROM sector_alerts\(filter) ORDER BY \(order) LIMIT ?")
        defer { statement.reset() }
        var index: Int32 = 1
        if let since = query.since {
            statement.bind(index, since)
            index += 1
        }
        if let box = query.box {
            statement.bind(index, box)
            index += 1
        }
        if let zone = query.zone {
            statement.bind(index, zone)
            index += 1
        }
        statement.bind(index, max(0, query.limit))
        var rows: [SectorAlertRecord] = []
        while try statement.step() { rows.append(Self.record(statement)) }
        return rows
    }

    public func alert(id: String) throws -> SectorAlertRecord? {
        let statement = try database.statement("SELECT \(Self.alertColumns) FROM sector_alerts WHERE id = ?")
        defer { statement.reset() }
        statement.bind(1, id)
        return try statement.step() ? Self.record(statement) : nil
    }

    public func boxes() throws -> [BoxRecord] {
        let statement = try database.statement(
            """
            SELECT box, last_status, last_status_ts, clock_offset_s, clock_wrong, clock_checked_ts, offline,
                offline_changed_ts
            FROM boxes ORDER BY box
            """)
        defer { statement.reset() }
        var rows: [BoxRecord] = []
        while try statement.step() {
            rows.append(
                BoxRecord(
                    box: statement.string(0), lastStatus: statement.optionalString(1),
                    lastStatusTs: statement.optionalInt64(2), clockOffsetS: statement.optionalInt64(3),
                    clockWrong: statement.int(4) != 0, clockCheckedTs: statement.optionalInt64(5),
                    offline: statement.int(6) != 0, offlineChangedTs: statement.optionalInt64(7)))
        }
        return rows
    }

    public func acknowledge(id: String, by operatorName: String, at ts: Int64) throws -> AcknowledgeOutcome {
        try database.transaction { () throws -> AcknowledgeOutcome in
            let statement = try database.statement(
                "UPDATE sector_alerts SET ack_by = ?, ack_ts = ? WHERE id = ? AND ack_by IS NULL")
            statement.bind(1, operatorName)
            statement.bind(2, ts)
            statement.bind(3, id)
            try statement.run()
            let changed = database.changes == 1
            guard let record = try alert(id: id) else { return .notFound }
            return changed ? .acknowledged(record) : .alreadyAcknowledged(record)
        }
    }

    public func markOffline(lastStatusBefore cutoff: Int64, at ts: Int64) throws -> [SectorAlertRecord] {
        try database.transaction { () throws -> [SectorAlertRecord] in
            let statement = try database.statement(
                """
                UPDATE boxes SET offline = 1, offline_changed_ts = ?
                WHERE last_status_ts < ? AND offline = 0
                RETURNING box, last_status_ts
                """)
            statement.bind(1, ts)
            statement.bind(2, cutoff)
            var gone: [(String, Int64)] = []
            while try statement.step() { gone.append((statement.string(0), statement.int64(1))) }
            statement.reset()
            var alerts: [SectorAlertRecord] = []
            for (box, lastStatusTs) in gone.sorted(by: { $0.0 < $1.0 }) {
                let alert = SectorAlerts.offline(box: box, lastStatusTs: lastStatusTs, at: ts)
                _ = try insert(alert)
                alerts.append(alert)
            }
            return alerts
        }
    }
}
