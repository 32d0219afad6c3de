import Foundation
import PicketCore
import PicketStore

/// The hotline's held alerts and outbox (`SectorTextStore`, migration 6) in
/// SQLite. Every method is one transaction (`BEGIN IMMEDIATE`), so a second
/// process on the same file waits for the first: a queued alert is held
/// once, a held alert is texted once, and a claimed text is claimed by one.
extension SQLiteSectorStore {
    public func holdNewAlerts(
        limit: Int, at ts: Int64, matches: @escaping @Sendable (SectorAlertRecord, Subscriber) -> Bool
    ) throws -> Int {
        // Asked every second: no write lock (and no wait for one) when nothing is queued.
        guard try exists("SELECT 1 FROM sms_alert_queue LIMIT 1") else { return 0 }
        return try database.transaction { () throws -> Int in
            let queue = try database.statement("SELECT seq, alert_id FROM sms_alert_queue ORDER BY seq LIMIT ?")
            queue.bind(1, limit)
            var taken: [(seq: Int64, alert: String)] = []
            while try queue.step() { taken.append((queue.int64(0), queue.string(1))) }
            queue.reset()
            guard !taken.isEmpty else { return 0 }
            // Opted-out phones are left out here: what comes during an opt-out is never texted.
            let subscribers = try subscribers().filter { !$0.optedOut }.map(\.subscriber)
            let hold = try database.statement(
                "INSERT INTO sms_held (phone, alert_id, held_ts) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            let done = try database.statement("DELETE FROM sms_alert_queue WHERE seq = ?")
            for entry in taken {
                if let alert = try alert(id: entry.alert) {
                    for subscriber in subscribers where matches(alert, subscriber) {
                        hold.bind(1, subscriber.phone)
                        hold.bind(2, alert.id)
                        hold.bind(3, ts)
                        try hold.run()
                    }
                }
                done.bind(1, entry.seq)
                try done.run()
            }
            return taken.count
        }
    }

    public func phonesWithHeldAlerts() throws -> [String] {
        let statement = try database.statement("SELECT DISTINCT phone FROM sms_held ORDER BY phone")
        defer { statement.reset() }
        var phones: [String] = []
        while try statement.step() { phones.append(statement.string(0)) }
        return phones
    }

    public func heldAlerts(phone: String) throws -> [SectorAlertRecord] {
        let columns = Self.alertColumns.split(separator: ",").map { "a." + $0.trimmingCharacters(in: .whitespaces) }
        let statement = try database.statement(
            """
            SELECT \(columns.joined(separator: ", ")) FROM sms_held h JOIN sector_alerts a ON a.id = h.alert_id
            WHERE h.phone = ? ORDER BY coalesce(a.last_ts, a.received_ts), a.seq
            """)
        defer { statement.reset() }
        statement.bind(1, phone)
        var alerts: [SectorAlertRecord] = []
        while try statement.step() { alerts.append(Self.record(statement)) }
        return alerts
    }

    public func dropHeldAlerts(phone: String) throws -> Int {
        let statement = try database.statement("DELETE FROM sms_held WHERE phone = ?")
        statement.bind(1, phone)
        try statement.run()
        return database.changes
    }

    public func textTimes(phone: String, since: Int64) throws -> [Int64] {
        let statement = try database.statement(
            "SELECT queued_ts FROM sms_outbox WHERE phone = ? AND queued_ts > ? AND state <> 'dropped' ORDER BY queued_ts"
        )
        defer { statement.reset() }
        statement.bind(1, phone)
        statement.bind(2, since)
        var times: [Int64] = []
        while try statement.step() { times.append(statement.int64(0)) }
        return times
    }

    /// Thrown inside `queueTexts`' transaction to roll it back.
    private struct NoLongerHeld: Error {}

    public func queueTexts(phone: String, _ texts: [PlannedText], at ts: Int64, textsBefore: Int) throws -> Bool {
        guard !texts.isEmpty else { return true }
        do {
            try database.transaction {
                // BEGIN IMMEDIATE: no other process writes between this count and the commit.
                guard try textTimes(phone: phone, since: Int64.min).count == textsBefore else { throw NoLongerHeld() }
                let release = try database.statement("DELETE FROM sms_held WHERE phone = ? AND alert_id = ?")
                let insert = try database.statement(
                    """
                    INSERT INTO sms_outbox (id, phone, body, alerts, state, attempts, next_attempt_ts, queued_ts)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (id) DO NOTHING
                    """)
                for text in texts {
                    for alert in text.alertIDs {
                        release.bind(1, phone)
                        release.bind(2, alert)
                        try release.run()
                        guard database.changes == 1 else { throw NoLongerHeld() }
                    }
                    insert.bind(1, text.id)
                    insert.bind(2, phone)
                    insert.bind(3, text.body)
                    insert.bind(4, JSONWriter.array(text.alertIDs))
                    insert.bind(5, ts)
                    insert.bind(6, ts)
                    try insert.run()
                }
            }
            return true
        } catch is NoLongerHeld {
            return false
        }
    }

    static let textColumns =
        "id, phone, body, alerts, state, attempts, next_attempt_ts, queued_ts, done_ts, last_status, last_error"

    static func text(_ s: SQLiteStatement) -> SectorText {
        SectorText(
            id: s.string(0), phone: s.string(1), body: s.string(2), alertIDs: Subscriber.zones(column: s.string(3)),
            state: SectorText.State(rawValue: s.string(4)) ?? .pending, attempts: s.int(5),
            nextAttemptTs: s.int64(6), queuedTs: s.int64(7), doneTs: s.optionalInt64(8),
            lastStatus: s.optionalInt(9), lastError: s.optionalString(10))
    }

    /// Whether `sql` (one `?` bound to `value`, if given) answers a row.
    private func exists(_ sql: String, _ value: Int64? = nil) throws -> Bool {
        let statement = try database.statement(sql)
        defer { statement.reset() }
        if let value { statement.bind(1, value) }
        return try statement.step()
    }

    public func claimTexts(by claimant: String, now: Int64, until: Int64, limit: Int) throws -> [SectorText] {
        guard
            try exists(
                "SELECT 1 FROM sms_outbox WHERE state = 'pending' AND next_attempt_ts <= ? LIMIT 1", now)
        else { return [] }
        return try database.transaction { () throws -> [SectorText] in
            let statement = try database.statement(
                """
                UPDATE sms_outbox SET claimed_by = ?1, claim_until = ?2
                WHERE id IN (
                    SELECT id FROM sms_outbox
                    WHERE state = 'pending' AND next_attempt_ts <= ?3 AND (claim_until IS NULL OR claim_until <= ?3)
                    ORDER BY next_attempt_ts, queued_ts, id LIMIT ?4)
                RETURNING \(Self.textColumns)
                """)
            statement.bind(1, claimant)
            statement.bind(2, until)
            statement.bind(3, now)
            statement.bind(4, limit)
            var texts: [SectorText] = []
            while try statement.step() { texts.append(Self.text(statement)) }
            statement.reset()
            return texts.sorted { ($0.nextAttemptTs, $0.queuedTs, $0.id) < ($1.nextAttemptTs, $1.queuedTs, $1.id) }
        }
    }

    public func settleText(id: String, claimant: String, _ outcome: TextOutcome, at ts: Int64) throws -> Bool {
        var next: Int64?
        if case .retry(let at, _, _) = outcome { next = at }
        let statement = try database.statement(
            """
            UPDATE sms_outbox SET state = ?, attempts = attempts + ?, next_attempt_ts = coalesce(?, next_attempt_ts),
                done_ts = ?, last_status = ?, last_error = ?, claimed_by = NULL, claim_until = NULL
            WHERE id = ? AND claimed_by = ?
            """)
        statement.bind(1, outcome.state.rawValue)
        statement.bind(2, outcome.isAttempt ? 1 : 0)
        statement.bind(3, next)
        statement.bind(4, outcome.state == .pending ? nil : ts)
        statement.bind(5, outcome.status)
        statement.bind(6, outcome.error)
        statement.bind(7, id)
        statement.bind(8, claimant)
        try statement.run()
        return database.changes == 1
    }

    public func texts(phone: String?) throws -> [SectorText] {
        let statement = try database.statement(
            "SELECT \(Self.textColumns) FROM sms_outbox WHERE ?1 IS NULL OR phone = ?1 ORDER BY queued_ts, id")
        defer { statement.reset() }
        statement.bind(1, phone)
        var texts: [SectorText] = []
        while try statement.step() { texts.append(Self.text(statement)) }
        return texts
    }
}
