import Logging
import PicketConfig
import PicketCore
import PostgresNIO

/// The sector's store on a PostgreSQL server, which several `picket sector`
/// processes (behind one load balancer) share: the same tables and the same
/// answers as `SQLiteSectorStore`, every rule two processes could race on
/// decided by the database (a unique id, a conditional `UPDATE ...
/// RETURNING`), never by a process's memory.
///
/// Queries go through postgres-nio's pooled `PostgresClient`, whose `run()`
/// this store runs in a task of its own from `init` until `shutdown()`.
/// `migrate()` uses a connection of its own instead, so that a server that
/// cannot be reached, a wrong password or a missing database is an error at
/// start (the pool would wait for a connection instead).
public final class PostgresSectorStore: SectorStore {
    /// Something the database refused or could not be asked; names the URL
    /// (password hidden), what picket was doing, and what the server said.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var url: String
        public var doing: String
        public var detail: String
        public var description: String { "PostgreSQL \(url): cannot \(doing): \(detail)" }
    }

    /// A database migrated by a newer Picket than this one.
    public struct SchemaTooNew: Error, Sendable, CustomStringConvertible {
        public var url: String
        public var version: Int64
        public var known: Int
        public var description: String {
            "PostgreSQL \(url): the sector database is at schema version \(version), this picket knows only up to "
                + "\(known); run the newer picket everywhere, or point database.url at another database"
        }
    }

    public let url: PostgresURL
    /// The URL as configured, with its password hidden: for messages.
    public let displayURL: String
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    private let alertCommits = GroupCommit<IncomingAlert, StoreOutcome>(limit: alertCommitLimit, inFlight: 1)

    /// Reads `url` (see `PostgresURL`) and starts the pool. No connection is
    /// made yet: call `migrate()` first, and `shutdown()` at the end.
    public convenience init(url text: String, logger: Logger = Logger(label: "picket.sector.postgres")) throws {
        let parsed: PostgresURL
        do {
            parsed = try PostgresURL.parse(text)
        } catch {
            throw Failure(url: PostgresURL.redacted(text), doing: "read the URL", detail: error.message)
        }
        self.init(url: parsed, displayURL: PostgresURL.redacted(text), logger: logger)
    }

    public init(url: PostgresURL, displayURL: String, logger: Logger) {
        self.url = url
        self.displayURL = displayURL
        self.logger = logger
        var configuration: PostgresClient.Configuration
        switch url.endpoint {
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS
            switch url.sslMode {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(Self.tlsConfiguration(url))
            case .require, .verifyCA, .verifyFull: tls = .require(Self.tlsConfiguration(url))
            }
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: url.user, password: url.password, database: url.database, tls: tls)
        case .unixSocket(let path):
            configuration = PostgresClient.Configuration(
                unixSocketPath: path, username: url.user, password: url.password, database: url.database)
            configuration.tls = .disable
        }
        configuration.options.additionalStartupParameters = [("application_name", "picket-sector")]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    /// TLS as libpq's `sslmode` and `sslrootcert` say (`PostgresURL`):
    /// encrypted without a certificate check for `prefer` and `require`,
    /// the chain for `verify-ca`, the chain and the host name for
    /// `verify-full`; `sslrootcert`'s certificates instead of the system's.
    static func tlsConfiguration(_ url: PostgresURL) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch url.certificateCheck {
        case .none: tls.certificateVerification = .none
        case .chain: tls.certificateVerification = .noHostnameVerification
        case .chainAndHost: tls.certificateVerification = .fullVerification
        }
        if let file = url.sslRootCert { tls.trustRoots = .file(file) }
        return tls
    }

    /// Closes the pool: the store answers nothing after this.
    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    // MARK: Schema

    public func migrate() async throws {
        let connection = try await directConnection()
        do {
            try await connection.withTransaction(logger: logger) { connection in
                try await self.rows(
                    "SELECT pg_advisory_xact_lock(\(PostgresSectorSchema.migrationLock))", on: connection)
                try await self.rows(PostgresQuery(unsafeSQL: PostgresSectorSchema.bookkeeping), on: connection)
                let version =
                    try await self.rows(
                        "SELECT coalesce(max(version), 0)::bigint FROM picket_sector_migrations", on: connection
                    ).first?.decode(Int64.self) ?? 0
                let known = PostgresSectorSchema.migrations.count
                guard version <= known else {
                    throw SchemaTooNew(url: self.displayURL, version: version, known: known)
                }
                for (index, statements) in PostgresSectorSchema.migrations.enumerated().dropFirst(Int(version)) {
                    for sql in statements { try await self.rows(PostgresQuery(unsafeSQL: sql), on: connection) }
                    let number = Int32(index + 1)
                    try await self.rows(
                        "INSERT INTO picket_sector_migrations (version) VALUES (\(number))", on: connection)
                    self.logger.notice(
                        "sector database migrated",
                        metadata: ["database": "\(self.displayURL)", "version": "\(number)"])
                }
            }
        } catch {
            try? await connection.close()
            throw failure("migrate the sector database", error)
        }
        try? await connection.close()
    }

    /// One connection outside the pool, so that connecting fails with the
    /// reason instead of waiting.
    private func directConnection() async throws -> PostgresConnection {
        do {
            var configuration: PostgresConnection.Configuration
            switch url.endpoint {
            case .tcp(let host, let port):
                let tls: PostgresConnection.Configuration.TLS
                switch url.sslMode {
                case .disable: tls = .disable
                case .prefer: tls = .prefer(try NIOSSLContext(configuration: Self.tlsConfiguration(url)))
                case .require, .verifyCA, .verifyFull:
                    tls = .require(try NIOSSLContext(configuration: Self.tlsConfiguration(url)))
                }
                configuration = PostgresConnection.Configuration(
                    host: host, port: port, username: url.user, password: url.password, database: url.database,
                    tls: tls)
            case .unixSocket(let path):
                configuration = PostgresConnection.Configuration(
                    unixSocketPath: path, username: url.user, password: url.password, database: url.database)
            }
            configuration.options.additionalStartupParameters = [("application_name", "picket-sector")]
            return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw failure("connect", error)
        }
    }

    public func ping() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await self.withConnection("answer a ping") { try await self.rows("SELECT 1", on: $0).count }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                throw Failure(url: self.displayURL, doing: "answer a ping", detail: "no answer within 5 s")
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    // MARK: Boxes

    public func registerBoxes(_ boxes: [String]) async throws {
        try await withConnection("register the configured boxes") { connection in
            try await self.rows(
                "INSERT INTO boxes (box) SELECT unnest(\(boxes)::text[]) ON CONFLICT (box) DO NOTHING", on: connection)
        }
    }

    public func storeStatus(_ status: IncomingStatus) async throws -> SectorAlertRecord? {
        try await withTransaction("store the status of box \(status.box)") { connection in
            try await self.rows(
                "INSERT INTO boxes (box) VALUES (\(status.box)) ON CONFLICT (box) DO NOTHING", on: connection)
            // Out of order (two processes, a slow request): the newer status stays.
            try await self.rows(
                """
                UPDATE boxes SET last_status = \(status.document), last_status_ts = \(status.receivedTs),
                    last_status_box_ts = \(status.boxTs), clock_offset_s = \(status.clockOffsetS),
                    clock_wrong = false, clock_checked_ts = \(status.receivedTs)
                WHERE box = \(status.box) AND (last_status_ts IS NULL OR last_status_ts <= \(status.receivedTs))
                """, on: connection)
            let back = try await self.rows(
                """
                UPDATE boxes SET offline = false, offline_changed_ts = \(status.receivedTs)
                WHERE box = \(status.box) AND offline RETURNING box
                """, on: connection)
            guard !back.isEmpty else { return nil }
            let alert = SectorAlerts.online(box: status.box, at: status.receivedTs)
            _ = try await self.insert(alert, on: connection)
            return alert
        }
    }

    public func noteClock(box: String, offsetS: Int64, wrong: Bool, at ts: Int64) async throws {
        try await withConnection("note the clock of box \(box)") { connection in
            try await self.rows(
                """
                INSERT INTO boxes (box, clock_offset_s, clock_wrong, clock_checked_ts)
                VALUES (\(box), \(offsetS), \(wrong), \(ts))
                ON CONFLICT (box) DO UPDATE SET clock_offset_s = excluded.clock_offset_s,
                    clock_wrong = excluded.clock_wrong, clock_checked_ts = excluded.clock_checked_ts
                """, on: connection)
        }
    }

    public func boxes() async throws -> [BoxRecord] {
        try await withConnection("list the boxes") { connection in
            try await self.rows(
                """
                SELECT box, last_status, last_status_ts, clock_offset_s, clock_wrong, clock_checked_ts, offline,
                    offline_changed_ts
                FROM boxes ORDER BY box
                """, on: connection
            ).map { row in
                let (box, status, statusTs, offset, wrong, checked, offline, changed) = try row.decode(
                    (String, String?, Int64?, Int64?, Bool, Int64?, Bool, Int64?).self)
                return BoxRecord(
                    box: box, lastStatus: status, lastStatusTs: statusTs, clockOffsetS: offset, clockWrong: wrong,
                    clockCheckedTs: checked, offline: offline, offlineChangedTs: changed)
            }
        }
    }

    /// One conditional `UPDATE ... RETURNING` decides which boxes go
    /// offline now: a second process's identical update waits for the
    /// first's row locks, then finds `offline` already true and returns
    /// nothing. The rows are locked in box order (the subquery's `FOR
    /// UPDATE`) so two such updates never deadlock.
    public func markOffline(lastStatusBefore cutoff: Int64, at ts: Int64) async throws -> [SectorAlertRecord] {
        try await withTransaction("mark silent boxes offline") { connection in
            let gone = try await self.rows(
                """
                UPDATE boxes SET offline = true, offline_changed_ts = \(ts)
                WHERE box IN (
                    SELECT box FROM boxes WHERE last_status_ts < \(cutoff) AND NOT offline ORDER BY box FOR UPDATE)
                    AND last_status_ts < \(cutoff) AND NOT offline
                RETURNING box, last_status_ts
                """, on: connection
            ).map { try $0.decode((String, Int64).self) }
            var alerts: [SectorAlertRecord] = []
            for (box, lastStatusTs) in gone.sorted(by: { $0.0 < $1.0 }) {
                let alert = SectorAlerts.offline(box: box, lastStatusTs: lastStatusTs, at: ts)
                _ = try await self.insert(alert, on: connection)
                alerts.append(alert)
            }
            return alerts
        }
    }

    // MARK: Alerts

    /// Group commit (`GroupCommit`), one batch at a time per process: the
    /// alerts that arrive while one is on its way are the next statement,
    /// so one round trip and one transaction (PostgreSQL flushes its WAL
    /// once for them) instead of one each. One at a time measured best on
    /// two cores (Benchmarks/sector.sh, 16 boxes: 0.58x the Python
    /// receiver's rate, against 0.49x with two in flight and 0.44-0.48x
    /// with four): fewer, larger batches cost less of both processes' CPU.
    private static let alertCommitLimit = 256

    public func storeAlert(_ alert: IncomingAlert) async throws -> StoreOutcome {
        try await alertCommits.submit(alert) { alerts in try await self.insert(alerts) }
    }

    /// One statement: the alerts (once per id: `ON CONFLICT DO NOTHING
    /// RETURNING` names the ones this statement stored, so a repeat within
    /// the batch or from another process is a duplicate) and each box's
    /// clock from its last alert in the batch. The rows travel as one JSON
    /// array read by `json_to_recordset` (parsed once, as it is read), so a batch is one bind whatever
    /// its size.
    private func insert(_ alerts: [IncomingAlert]) async throws -> [StoreOutcome] {
        var document = "["
        for (n, alert) in alerts.enumerated() {
            let a = SectorAlertRecord(alert)
            var w = JSONWriter()
            w.int("n", n)
            w.string("id", a.id)
            w.string("source", a.source.rawValue)
            w.string("box", a.box)
            w.string("format", a.format)
            w.string("rule", a.rule)
            w.string("severity", a.severity)
            w.string("zone", a.zone)
            w.int("first_ts", a.firstTs)
            w.int("last_ts", a.lastTs)
            w.double("lat", a.lat)
            w.double("lon", a.lon)
            w.string("summary", a.summary)
            w.int("received_ts", a.receivedTs)
            w.string("body", a.body)
            w.string("sector", a.sector)
            w.string("direction", a.direction)
            w.string("events", a.eventsColumn)
            w.int("clock_offset_s", alert.clockOffsetS)
            if n > 0 { document += "," }
            document += w.finish()
        }
        document += "]"
        let doing =
            alerts.count == 1 ? "store alert \(alerts[0].id) of box \(alerts[0].box)" : "store \(alerts.count) alerts"
        let input = document
        var stored = try await withConnection(doing) { connection in
            try await self.rows(
                """
                WITH input AS (
                    SELECT * FROM json_to_recordset(\(input)::json) AS x(
                        n integer, id text, source text, box text, format text, rule text, severity text, zone text,
                        first_ts bigint, last_ts bigint, lat double precision, lon double precision, summary text,
                        received_ts bigint, body text, sector text, direction text, events text,
                        clock_offset_s bigint)
                ),
                clock AS (
                    INSERT INTO boxes (box, clock_offset_s, clock_wrong, clock_checked_ts)
                    SELECT DISTINCT ON (box) box, clock_offset_s, false, received_ts FROM input ORDER BY box, n DESC
                    ON CONFLICT (box) DO UPDATE SET clock_offset_s = excluded.clock_offset_s,
                        clock_wrong = excluded.clock_wrong, clock_checked_ts = excluded.clock_checked_ts
                )
                INSERT INTO sector_alerts (id, source, box, format, rule, severity, zone, first_ts, last_ts, lat, lon,
                    summary, received_ts, body, sector, direction, events)
                SELECT id, source, box, format, rule, severity, zone, first_ts, last_ts, lat, lon, summary,
                    received_ts, body, sector, direction, events
                FROM input ORDER BY n
                ON CONFLICT (id) DO NOTHING
                RETURNING id
                """, on: connection
            ).map { try $0.decode(String.self) }
        }
        var outcomes: [StoreOutcome] = []
        outcomes.reserveCapacity(alerts.count)
        for alert in alerts {
            if let index = stored.firstIndex(of: alert.id) {
                stored.remove(at: index)
                outcomes.append(.stored)
            } else {
                outcomes.append(.duplicate)
            }
        }
        return outcomes
    }

    public func storeSectorAlert(_ alert: SectorAlertRecord) async throws -> StoreOutcome {
        try await withConnection("store sector alert \(alert.id)") { connection in
            try await self.insert(alert, on: connection)
        }
    }

    /// Once per id: `RETURNING` answers a row only when this insert made it.
    private func insert(_ a: SectorAlertRecord, on connection: PostgresConnection) async throws -> StoreOutcome {
        let inserted = try await rows(
            """
            INSERT INTO sector_alerts (id, source, box, format, rule, severity, zone, first_ts, last_ts, lat, lon,
                summary, received_ts, body, ack_by, ack_ts, sector, direction, events)
            VALUES (\(a.id), \(a.source.rawValue), \(a.box), \(a.format), \(a.rule), \(a.severity), \(a.zone),
                \(a.firstTs), \(a.lastTs), \(a.lat), \(a.lon), \(a.summary), \(a.receivedTs), \(a.body),
                \(a.acknowledgedBy), \(a.acknowledgedTs), \(a.sector), \(a.direction), \(a.eventsColumn))
            ON CONFLICT (id) DO NOTHING
            RETURNING seq
            """, on: connection)
        return inserted.isEmpty ? .duplicate : .stored
    }

    static let alertColumns =
        "id, source, box, format, rule, severity, zone, first_ts, last_ts, lat, lon, summary, received_ts, body, ack_by, ack_ts, "
        + "sector, direction, events"

    static func record(_ row: PostgresRow) throws -> SectorAlertRecord {
        let (
            id, source, box, format, rule, severity, zone, firstTs, lastTs, lat, lon, summary, receivedTs, body,
            ackBy, ackTs, sector, direction, events
        ) = try row.decode(
            (
                String, String, String, String, String?, String?, String?, Int64?, Int64?, Double?, Double?,
                String?, Int64, String, String?, Int64?, String?, String?, String?
            ).self)
        return SectorAlertRecord(
            id: id, source: SectorAlertRecord.Source(rawValue: source) ?? .box, box: box, format: format,
            sector: sector, rule: rule, severity: severity, zone: zone, firstTs: firstTs, lastTs: lastTs,
            direction: direction, events: SectorAlertRecord.events(column: events), lat: lat, lon: lon,
            summary: summary, receivedTs: receivedTs, body: body, acknowledgedBy: ackBy, acknowledgedTs: ackTs)
    }

    public func alerts(_ query: AlertQuery) async throws -> [SectorAlertRecord] {
        var binds = PostgresBindings()
        var clauses: [String] = []
        if let since = query.since {
            binds.append(since)
            clauses.append("received_ts >= $\(binds.count)")
        }
        if let box = query.box {
            binds.append(box)
            clauses.append("box = $\(binds.count)")
        }
        if let zone = query.zone {
            binds.append(zone)
            clauses.append("zone = $\(binds.count)")
        }
        binds.append(Int64(max(0, query.limit)))
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let order = query.order == .newestFirst ? "received_ts DESC, seq DESC" : "received_ts ASC, seq ASC"
        let sql = "SELECT \(Self.alertColumns) FROM sector_alerts\(filter) ORDER BY \(order) LIMIT $\(binds.count)"
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await withConnection("list alerts") { connection in
            try await self.rows(query, on: connection).map(Self.record)
        }
    }

    public func alert(id: String) async throws -> SectorAlertRecord? {
        try await withConnection("read alert \(id)") { connection in
            try await self.alert(id: id, on: connection)
        }
    }

    private func alert(id: String, on connection: PostgresConnection) async throws -> SectorAlertRecord? {
        try await rows(
            "SELECT \(unescaped: Self.alertColumns) FROM sector_alerts WHERE id = \(id)", on: connection
        ).first.map(Self.record)
    }

    /// The first acknowledgement wins: the update only touches a row with
    /// no `ack_by` yet, so of two at once exactly one returns it.
    public func acknowledge(id: String, by operatorName: String, at ts: Int64) async throws -> AcknowledgeOutcome {
        try await withConnection("acknowledge alert \(id)") { connection in
            let changed = try await self.rows(
                """
                UPDATE sector_alerts SET ack_by = \(operatorName), ack_ts = \(ts)
                WHERE id = \(id) AND ack_by IS NULL
                RETURNING \(unescaped: Self.alertColumns)
                """, on: connection)
            if let row = changed.first { return .acknowledged(try Self.record(row)) }
            guard let record = try await self.alert(id: id, on: connection) else { return .notFound }
            return .alreadyAcknowledged(record)
        }
    }

    // MARK: Plumbing

    /// Runs `query` and reads every row (a sequence left unread would hold
    /// the connection).
    @discardableResult
    func rows(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(query, logger: logger) { rows.append(row) }
        return rows
    }

    /// How long a request waits for the database before it fails (and a
    /// box is answered 503, an operator's page an error) instead of waiting
    /// for a pool whose server went away.
    static let answerDeadline: Duration = .seconds(15)

    @discardableResult
    func withConnection<T: Sendable>(
        _ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await withDeadline(doing) {
                try await self.client.withConnection { connection in try await body(connection) }
            }
        } catch {
            throw failure(doing, error)
        }
    }

    @discardableResult
    func withTransaction<T: Sendable>(
        _ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await withDeadline(doing) {
                try await self.client.withTransaction(logger: self.logger) { connection in try await body(connection) }
            }
        } catch {
            throw failure(doing, error)
        }
    }

    /// `work`, or a `Failure` once `answerDeadline` passed (the work is
    /// cancelled: postgres-nio then withdraws its request for a connection).
    private func withDeadline<T: Sendable>(
        _ doing: String, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: Self.answerDeadline)
                throw Failure(
                    url: self.displayURL, doing: doing,
                    detail: "no answer within \(Self.answerDeadline.components.seconds) s (is the server up?)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    private func failure(_ doing: String, _ error: any Error) -> any Error {
        if error is Failure || error is SchemaTooNew || error is CancellationError { return error }
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError,
            inner is Failure || inner is SchemaTooNew || inner is CancellationError
        {
            return inner
        }
        return Failure(url: displayURL, doing: doing, detail: Self.detail(error))
    }

    /// What the server or the network said, without the query's values.
    static func detail(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError {
            if let closure = transaction.closureError { return detail(closure) }
            if let begin = transaction.beginError { return detail(begin) }
            if let commit = transaction.commitError { return detail(commit) }
        }
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let message = psql.serverInfo?[.message] {
            let state = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = psql.underlying { return "\(psql.code): \(underlying)" }
        return "\(psql.code)"
    }
}
