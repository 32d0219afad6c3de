import PicketCore

/// Which stored rows a query reads. Every bound is optional; a query with
/// none reads every row.
public struct RowQuery: Sendable, Equatable {
    /// The order rows come in.
    public enum Order: Sendable, Equatable {
        /// By time (an event's `ts`, an alert's `first_ts`), then storage order.
        case time
        /// In the order they were committed (`seq`): what a follower reads.
        case stored
    }

    /// Only rows at or after this time (ns since the epoch).
    public var since: Int64?
    /// Only rows at or before this time.
    public var until: Int64?
    public var zone: String?
    /// Only this sensor's rows (events only; alerts have no sensor).
    public var sensor: String?
    /// Only alerts whose delivery is in this list (alerts only).
    public var deliveries: [String]?
    /// Only the newest `limit` rows (by `order`), still handed over oldest first.
    public var limit: Int?
    /// Only rows stored after this `seq` (a follower's position).
    public var afterSeq: Int64?
    /// Only rows stored at or before this `seq` (a snapshot's end).
    public var throughSeq: Int64?
    public var order: Order

    public init(
        since: Int64? = nil, until: Int64? = nil, zone: String? = nil, sensor: String? = nil,
        deliveries: [String]? = nil, limit: Int? = nil, afterSeq: Int64? = nil, throughSeq: Int64? = nil,
        order: Order = .time
    ) {
        self.since = since
        self.until = until
        self.zone = zone
        self.sensor = sensor
        self.deliveries = deliveries
        self.limit = limit
        self.afterSeq = afterSeq
        self.throughSeq = throughSeq
        self.order = order
    }

    /// The WHERE clause and ORDER BY of this query on `table` (events or
    /// alerts, as `alias`) whose time column is `time`. Each value has a fixed
    /// parameter number, so one prepared statement serves every run of the
    /// same set of bounds.
    ///
    /// The index follows the order: in time order the seq bounds (a
    /// snapshot's end, nearly every row) must not pull the planner onto the
    /// rowid and a sort of the whole table; in storage order (a follower's
    /// few new rows) the other bounds must not pull it onto a zone or time
    /// index. A unary `+` keeps a column's index out of the plan.
    ///
    /// With `from`, only rows from the one at ?8 (time) and ?9 (seq) on, in
    /// the query's order.
    func sql(table: String, alias t: String, time: String, from: Bool = false)
        -> (where: String, order: String, reversed: String)
    {
        let column = order == .time ? "\(t)." : "+\(t)."
        let seq = order == .time ? "+\(t).seq" : "\(t).seq"
        var conditions: [String] = []
        if since != nil { conditions.append("\(column)\(time) >= ?1") }
        if until != nil { conditions.append("\(column)\(time) <= ?2") }
        if zone != nil { conditions.append("\(column)zone = ?3") }
        if sensor != nil && table == "events" { conditions.append("\(column)sensor = ?4") }
        if afterSeq != nil { conditions.append("\(seq) > ?5") }
        if throughSeq != nil { conditions.append("\(seq) <= ?6") }
        if let deliveries, table == "alerts" {
            // The states are a fixed vocabulary (`pending`, `dead`...), quoted as SQL strings.
            let quoted = deliveries.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }
            conditions.append("\(column)delivery IN (" + quoted.joined(separator: ",") + ")")
        }
        if from {
            switch order {
            case .time: conditions.append("\(t).\(time) >= ?8 AND (\(t).\(time) > ?8 OR \(seq) >= ?9)")
            case .stored: conditions.append("\(seq) >= ?9")
            }
        }
        let clause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        switch order {
        case .time: return (clause, "\(t).\(time), \(t).seq", "\(t).\(time) DESC, \(t).seq DESC")
        case .stored: return (clause, "\(t).seq", "\(t).seq DESC")
        }
    }

    func bind(_ s: SQLiteStatement) {
        if let since { s.bind(1, since) }
        if let until { s.bind(2, until) }
        if let zone { s.bind(3, zone) }
        if let sensor { s.bind(4, sensor) }
        if let afterSeq { s.bind(5, afterSeq) }
        if let throughSeq { s.bind(6, throughSeq) }
    }
}

/// How far an alert's sector delivery got, from the outbox (a live run with
/// `forward:`); `picket alerts --json` prints it beside the alert.
public struct DeliveryAttempts: Sendable, Equatable {
    public var state: Delivery.State
    public var attempts: Int
    public var nextAttemptTs: Int64
    public var lastStatus: Int?
    public var lastResponse: String?

    public init(state: Delivery.State, attempts: Int, nextAttemptTs: Int64, lastStatus: Int?, lastResponse: String?) {
        self.state = state
        self.attempts = attempts
        self.nextAttemptTs = nextAttemptTs
        self.lastStatus = lastStatus
        self.lastResponse = lastResponse
    }
}

/// Streaming reads for `picket events` and `picket alerts`: one row in memory
/// at a time, whatever the database holds and whatever the limit, and every
/// filter on an index.
extension Store {
    /// Calls `body` with each event the query matches, in order, straight
    /// from the index. With a limit, the index is first read backwards for
    /// `limit` entries (the index alone, no rows) to find the oldest of the
    /// newest `limit`, and the rows are read forwards from there.
    public func forEachEvent(_ query: RowQuery, _ body: (Event) throws -> Void) throws {
        try forEachRow(
            table: "events", alias: "events", time: "ts", select: "SELECT \(Self.eventColumns) FROM events",
            query: query, decode: Self.event, body)
    }

    /// Calls `body` with each alert the query matches (see `forEachEvent`)
    /// and its sector delivery's attempts when the outbox holds one.
    public func forEachAlert(_ query: RowQuery, _ body: (StoredAlert, DeliveryAttempts?) throws -> Void) throws {
        // The sector delivery through its unique id, one lookup per alert,
        // instead of the whole outbox read into memory.
        let select = """
            SELECT a.id, a.rule, a.severity, a.box, a.sector, a.zone, a.first_ts, a.last_ts, a.direction, a.events,
                a.lat, a.lon, a.summary, a.delivery,
                d.state, d.attempts, d.next_attempt_ts, d.last_status, d.last_response
            FROM alerts a LEFT JOIN deliveries d ON d.id = a.id AND d.destination = 'sector'
            """
        try forEachRow(
            table: "alerts", alias: "a", time: "first_ts", select: select, query: query,
            decode: Self.alertWithAttempts
        ) { try body($0.0, $0.1) }
    }

    /// The longest sensor id and zone name the configured sensors have (in
    /// characters): how wide a table's columns must be before any row came.
    public func longestSensorAndZone() throws -> (sensor: Int, zone: Int) {
        let s = try database.statement(
            "SELECT COALESCE(MAX(LENGTH(sensor)), 0), COALESCE(MAX(LENGTH(zone)), 0) FROM sensors")
        defer { s.reset() }
        return try s.step() ? (s.int(0), s.int(1)) : (0, 0)
    }

    /// The highest `seq` of the events table (0 when empty): where a
    /// follower starts.
    public func lastEventSeq() throws -> Int64 { try lastSeq("events") }

    /// The highest `seq` of the alerts table (0 when empty).
    public func lastAlertSeq() throws -> Int64 { try lastSeq("alerts") }

    private func lastSeq(_ table: String) throws -> Int64 {
        let s = try database.statement("SELECT COALESCE(MAX(seq), 0) FROM \(table)")
        defer { s.reset() }
        return try s.step() ? s.int64(0) : 0
    }

    /// `select` reads `table` as `alias`, whose time column is `time`.
    private func forEachRow<Row>(
        table: String, alias t: String, time: String, select: String, query: RowQuery,
        decode: (SQLiteStatement) -> Row, _ body: (Row) throws -> Void
    ) throws {
        var query = query
        var from: (time: Int64, seq: Int64)?
        if let limit = query.limit {
            guard limit > 0 else { return }
            // The oldest of the newest `limit`; none when fewer match.
            let (clause, _, reversed) = query.sql(table: table, alias: t, time: time)
            let edge = try database.statement(
                "SELECT \(t).\(time), \(t).seq FROM \(table)\(t == table ? "" : " " + t)" + clause
                    + " ORDER BY \(reversed) LIMIT 1 OFFSET ?7")
            defer { edge.reset() }
            query.bind(edge)
            edge.bind(7, limit - 1)
            if try edge.step() { from = (edge.int64(0), edge.int64(1)) }
            // Reset at once: a cached statement left open holds its read snapshot.
            edge.reset()
            query.limit = nil
        }
        let (clause, order, _) = query.sql(table: table, alias: t, time: time, from: from != nil)
        let s = try database.statement(select + clause + " ORDER BY \(order)")
        defer { s.reset() }
        query.bind(s)
        if let from {
            s.bind(8, from.time)
            s.bind(9, from.seq)
        }
        while try s.step() { try body(decode(s)) }
    }

    static func alertWithAttempts(_ s: SQLiteStatement) -> (StoredAlert, DeliveryAttempts?) {
        let lat = s.optionalDouble(10)
        let lon = s.optionalDouble(11)
        let alert = Alert(
            id: s.string(0), rule: s.string(1), severity: Severity(rawValue: s.string(2)) ?? .low,
            box: s.string(3), sector: s.string(4), zone: s.optionalString(5), firstTs: s.int64(6),
            lastTs: s.int64(7), direction: s.optionalString(8), events: decodeArray(s.string(9)),
            position: lat.flatMap { lat in lon.map { Position(lat: lat, lon: $0) } }, summary: s.string(12))
        let attempts = s.optionalString(14).map { state in
            DeliveryAttempts(
                state: Delivery.State(rawValue: state) ?? .pending, attempts: s.int(15), nextAttemptTs: s.int64(16),
                lastStatus: s.optionalInt(17),
                lastResponse: s.optionalString(18))
        }
        return (StoredAlert(alert: alert, delivery: s.string(13)), attempts)
    }
}
