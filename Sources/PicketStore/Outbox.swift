import PicketCore

/// One message in the outbox, for one destination (PicketDelivery's
/// `Destination`): an alert for the sector endpoint, a text (one alert or a
/// digest) for a landowner, the box's status. Keyed by (id, destination).
public struct Delivery: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case pending
        /// Claimed by a sender. A crash leaves it so; the next start puts it
        /// back to `pending`, and it is sent again with the same key.
        case inFlight = "in_flight"
        case delivered
        /// On the dead-letter list: the receiver refused it for good.
        case dead
    }

    /// The idempotency key: the alert's id for the sector.
    public var id: String
    /// The destination's key: `sector`, `sms:<subscriber name>`, `status`.
    public var destination: String
    public var alerts: [String]
    /// The text of an SMS, a status document; nil for the sector (rendered
    /// from the alert).
    public var body: String?
    public var state: State
    public var severity: Severity
    /// The (oldest) alert's first_ts: the age that orders the queue.
    public var createdTs: Int64
    public var queuedTs: Int64
    public var attempts: Int
    public var nextAttemptTs: Int64
    public var lastAttemptTs: Int64?
    public var lastStatus: Int?
    public var lastResponse: String?
    public var deliveredTs: Int64?
}

/// A message a commit puts in the outbox (a destination's `queue` adds them
/// to the batch): written in the transaction that stores its alerts.
public struct OutboxEntry: Sendable, Equatable {
    public var id: String
    public var destination: String
    /// The alerts it carries (ids).
    public var alerts: [String]
    /// Its body where it is fixed when queued (a text, a status); nil when
    /// rendered at each attempt.
    public var body: String?
    /// Orders the queue, most severe first (`Severity.rank`); a status is
    /// below every alert (-1).
    public var severityRank: Int
    /// The age that orders the queue among equals.
    public var createdTs: Int64

    public init(
        id: String, destination: String, alerts: [String], body: String? = nil, severityRank: Int, createdTs: Int64
    ) {
        self.id = id
        self.destination = destination
        self.alerts = alerts
        self.body = body
        self.severityRank = severityRank
        self.createdTs = createdTs
    }
}

/// The durable outbox, in the same database as the alerts: an alert and its
/// deliveries are written in one transaction, so an alert is never stored
/// without the messages it owes, and a message is never lost to a crash.
extension Store {
    static let deliveryColumns = """
        id, destination, alerts, body, state, severity_rank, created_ts, queued_ts, attempts, next_attempt_ts,
        last_attempt_ts, last_status, last_response, delivered_ts
        """

    /// Inserts messages; one already there (same id and destination) stays as it is.
    func enqueue(_ entries: [OutboxEntry], now: Int64) throws {
        guard !entries.isEmpty else { return }
        let s = try database.statement(
            """
            INSERT OR IGNORE INTO deliveries (id, destination, alerts, body, state, severity_rank, created_ts,
                queued_ts)
            VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)
            """)
        for entry in entries {
            s.reset()
            s.bind(1, entry.id)
            s.bind(2, entry.destination)
            s.bind(3, JSONWriter.array(entry.alerts))
            s.bind(4, entry.body)
            s.bind(5, entry.severityRank)
            s.bind(6, entry.createdTs)
            s.bind(7, now)
            try s.run()
        }
    }

    /// Queues a message that replaces every older one of its destination
    /// not in flight (pending, delivered or dead): only the newest waits.
    public func queueReplacing(_ entry: OutboxEntry, now: Int64) throws(StoreError) {
        try wrap {
            try database.transaction {
                try enqueue([entry], now: now)
                try supersede(entry.destination)
            }
        }
    }

    /// Deletes the messages of `destination` older than its newest, except
    /// one in flight (its outcome is still to be written; the next call
    /// removes it).
    public func supersede(destination: String) throws(StoreError) {
        try wrap { try database.transaction { try supersede(destination) } }
    }

    private func supersede(_ destination: String) throws {
        let s = try database.statement(
            """
            DELETE FROM deliveries WHERE destination = ?1 AND state != 'in_flight'
                AND seq < (SELECT MAX(seq) FROM deliveries WHERE destination = ?1)
            """)
        s.reset()
        s.bind(1, destination)
        try s.run()
    }

    func hold(_ matches: [(subscriber: String, alert: String)], now: Int64) throws {
        guard !matches.isEmpty else { return }
        let s = try database.statement(
            "INSERT OR IGNORE INTO hotline_held (subscriber, alert, held_ts) VALUES (?, ?, ?)")
        for match in matches {
            s.reset()
            s.bind(1, match.subscriber)
            s.bind(2, match.alert)
            s.bind(3, now)
            try s.run()
        }
    }

    // MARK: - The sender's side

    /// Puts deliveries a crashed sender left `in_flight` back to `pending`,
    /// due at once. Returns how many.
    @discardableResult
    public func recoverInFlight() throws(StoreError) -> Int {
        try wrap {
            try database.transaction {
                let ids = try column("SELECT id FROM deliveries WHERE state = 'in_flight'")
                try database.execute(
                    "UPDATE deliveries SET state = 'pending', next_attempt_ts = 0 WHERE state = 'in_flight'")
                try syncAlertDelivery(ids)
                return ids.count
            }
        }
    }

    /// Pending deliveries due by `now`, most severe first, then oldest.
    public func dueDeliveries(now: Int64, limit: Int) throws(StoreError) -> [Delivery] {
        try wrap {
            let s = try database.statement(
                """
                SELECT \(Self.deliveryColumns) FROM deliveries
                WHERE state = 'pending' AND (next_attempt_ts <= ?1 OR next_attempt_ts > ?1 + ?3)
                ORDER BY severity_rank DESC, created_ts, seq LIMIT ?2
                """)
            s.reset()
            s.bind(1, now)
            s.bind(2, limit)
            // A next attempt further ahead than any backoff or Retry-After
            // sets was scheduled before the wall clock stepped back: due now.
            s.bind(3, Self.furthestAttemptNs)
            return try Self.deliveries(from: s)
        }
    }

    /// How far ahead a retry can ever be scheduled (the Retry-After cap and a minute).
    static let furthestAttemptNs: Int64 = DeliveryPolicy.maximumRetryAfterNs + 60_000_000_000

    /// When the next pending delivery falls due; nil when none is pending.
    public func nextAttemptTs() throws(StoreError) -> Int64? {
        try wrap {
            let s = try database.statement("SELECT MIN(next_attempt_ts) FROM deliveries WHERE state = 'pending'")
            s.reset()
            defer { s.reset() }
            return try s.step() ? s.optionalInt64(0) : nil
        }
    }

    /// Claims a delivery for one attempt (committed before the request goes
    /// out). `destination` nil: every message with that id (the mark
    /// functions alike).
    public func markInFlight(_ id: String, destination: String? = nil, now: Int64) throws(StoreError) {
        try update(
            id, destination,
            "UPDATE deliveries SET state = 'in_flight', attempts = attempts + 1, last_attempt_ts = ?2 WHERE id = ?1"
        ) { $0.bind(2, now) }
    }

    public func markDelivered(_ id: String, destination: String? = nil, status: Int, now: Int64) throws(StoreError) {
        try update(
            id, destination,
            """
            UPDATE deliveries SET state = 'delivered', last_status = ?2, last_response = NULL, delivered_ts = ?3
            WHERE id = ?1
            """
        ) {
            $0.bind(2, status)
            $0.bind(3, now)
        }
    }

    /// Back to `pending`, due at `nextAttemptTs`; `response` says why it failed.
    public func markRetry(
        _ id: String, destination: String? = nil, status: Int?, response: String, nextAttemptTs: Int64
    ) throws(StoreError) {
        try update(
            id, destination,
            """
            UPDATE deliveries SET state = 'pending', last_status = ?2, last_response = ?3, next_attempt_ts = ?4
            WHERE id = ?1
            """
        ) {
            $0.bind(2, status)
            $0.bind(3, response)
            $0.bind(4, nextAttemptTs)
        }
    }

    /// Onto the dead-letter list, with the response that put it there.
    public func markDead(_ id: String, destination: String? = nil, status: Int?, response: String)
        throws(StoreError)
    {
        try update(
            id, destination, "UPDATE deliveries SET state = 'dead', last_status = ?2, last_response = ?3 WHERE id = ?1"
        ) {
            $0.bind(2, status)
            $0.bind(3, response)
        }
    }

    /// `picket alerts --retry ID`: a dead delivery of the alert (or a text
    /// with that id) goes back to `pending`, due at once, its attempts reset.
    /// Returns how many deliveries were revived.
    public func retryDead(_ id: String) throws(StoreError) -> Int {
        try wrap {
            try database.transaction {
                let s = try database.statement(
                    """
                    UPDATE deliveries SET state = 'pending', next_attempt_ts = 0, attempts = 0
                    WHERE state = 'dead' AND (id = ?1 OR EXISTS (SELECT 1 FROM json_each(deliveries.alerts)
                        WHERE json_each.value = ?1))
                    """)
                s.reset()
                s.bind(1, id)
                try s.run()
                let changed = database.changes
                try syncAlertDelivery([id])
                return changed
            }
        }
    }

    /// Deliveries in the given states (all when nil), oldest first.
    public func deliveries(states: [Delivery.State]? = nil) throws(StoreError) -> [Delivery] {
        try wrap {
            var sql = "SELECT \(Self.deliveryColumns) FROM deliveries"
            if let states {
                sql += " WHERE state IN (" + states.map { "'\($0.rawValue)'" }.joined(separator: ",") + ")"
            }
            sql += " ORDER BY created_ts, seq"
            let s = try database.statement(sql)
            s.reset()
            return try Self.deliveries(from: s)
        }
    }

    /// How many messages the outbox holds in each state.
    public func outboxDepth() throws(StoreError) -> [String: Int] {
        try wrap {
            let s = try database.statement("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
            s.reset()
            var out: [String: Int] = [:]
            while try s.step() { out[s.string(0)] = s.int(1) }
            s.reset()
            return out
        }
    }

    /// One alert by id.
    public func alert(id: String) throws(StoreError) -> Alert? {
        try wrap { try alerts(where: "id = ?1", argument: id).first?.alert }
    }

    // MARK: - The hotline's side

    /// Alerts held for `subscriber` (matched, not texted yet), oldest first.
    public func heldAlerts(subscriber: String) throws(StoreError) -> [Alert] {
        try wrap {
            try alerts(
                where: "id IN (SELECT alert FROM hotline_held WHERE subscriber = ?1)", argument: subscriber
            ).map(\.alert)
        }
    }

    /// Subscribers that have alerts held.
    public func subscribersWithHeldAlerts() throws(StoreError) -> [String] {
        try wrap { try column("SELECT DISTINCT subscriber FROM hotline_held ORDER BY subscriber") }
    }

    /// When messages to `destination` (a subscriber's texts) were queued, since `since`.
    public func queuedTimes(destination: String, since: Int64) throws(StoreError) -> [Int64] {
        try wrap {
            let s = try database.statement(
                "SELECT queued_ts FROM deliveries WHERE destination = ? AND queued_ts > ? ORDER BY queued_ts")
            s.reset()
            s.bind(1, destination)
            s.bind(2, since)
            var out: [Int64] = []
            while try s.step() { out.append(s.int64(0)) }
            s.reset()
            return out
        }
    }

    /// Queues texts for `subscriber` (to `destination`) and releases the
    /// alerts they cover, in one transaction: an alert is held or texted,
    /// never both, never neither.
    public func queueTexts(
        subscriber: String, destination: String, _ texts: [(id: String, alerts: [Alert], body: String)], now: Int64
    ) throws(StoreError) {
        guard !texts.isEmpty else { return }
        try wrap {
            try database.transaction {
                let insert = try database.statement(
                    """
                    INSERT OR IGNORE INTO deliveries (id, destination, alerts, body, state, severity_rank, created_ts,
                        queued_ts)
                    VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)
                    """)
                let release = try database.statement("DELETE FROM hotline_held WHERE subscriber = ? AND alert = ?")
                for text in texts {
                    insert.reset()
                    insert.bind(1, text.id)
                    insert.bind(2, destination)
                    insert.bind(3, JSONWriter.array(text.alerts.map(\.id)))
                    insert.bind(4, text.body)
                    insert.bind(5, text.alerts.map(\.severity.rank).max() ?? 0)
                    insert.bind(6, text.alerts.map(\.firstTs).min() ?? now)
                    insert.bind(7, now)
                    try insert.run()
                    for alert in text.alerts {
                        release.reset()
                        release.bind(1, subscriber)
                        release.bind(2, alert.id)
                        try release.run()
                    }
                }
            }
        }
    }

    // MARK: - Helpers

    /// Runs one UPDATE of delivery `id` (bound as ?1; `bind` binds the
    /// rest from ?2; `destination`, when given, narrows it) in its own
    /// transaction, keeping the alert's `delivery` column in step.
    private func update(_ id: String, _ destination: String?, _ sql: String, _ bind: (SQLiteStatement) -> Void)
        throws(StoreError)
    {
        try wrap {
            try database.transaction {
                let s = try database.statement(destination == nil ? sql : sql + " AND destination = ?9")
                s.reset()
                s.bind(1, id)
                if let destination { s.bind(9, destination) }
                bind(s)
                try s.run()
                try syncAlertDelivery([id])
            }
        }
    }

    /// Copies the state of the delivery that carries the alert under its
    /// own id (the sector's) to `alerts.delivery`, which `picket alerts`
    /// shows and filters on.
    private func syncAlertDelivery(_ ids: [String]) throws {
        let s = try database.statement(
            """
            UPDATE alerts SET delivery = (SELECT state FROM deliveries WHERE deliveries.id = alerts.id
                ORDER BY seq LIMIT 1)
            WHERE id = ? AND EXISTS (SELECT 1 FROM deliveries WHERE deliveries.id = alerts.id)
            """)
        for id in ids {
            s.reset()
            s.bind(1, id)
            try s.run()
        }
    }

    private func column(_ sql: String) throws -> [String] {
        let s = try database.statement(sql)
        s.reset()
        var out: [String] = []
        while try s.step() { out.append(s.string(0)) }
        s.reset()
        return out
    }

    private static func deliveries(from s: SQLiteStatement) throws -> [Delivery] {
        var out: [Delivery] = []
        while try s.step() {
            out.append(
                Delivery(
                    id: s.string(0), destination: s.string(1), alerts: decodeArray(s.string(2)),
                    body: s.optionalString(3), state: Delivery.State(rawValue: s.string(4)) ?? .pending,
                    severity: Severity.allCases.first { $0.rank == s.int(5) } ?? .low, createdTs: s.int64(6),
                    queuedTs: s.int64(7), attempts: s.int(8), nextAttemptTs: s.int64(9),
                    lastAttemptTs: s.optionalInt64(10), lastStatus: s.optionalInt(11),
                    lastResponse: s.optionalString(12), deliveredTs: s.optionalInt64(13)))
        }
        s.reset()
        return out
    }
}
