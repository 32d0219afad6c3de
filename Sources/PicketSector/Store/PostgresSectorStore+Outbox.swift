import Foundation
import PicketCore
import PostgresNIO

/// The hotline's held alerts and outbox (`SectorTextStore`, migration 6) in
/// PostgreSQL, shared by every `picket sector` process on the database:
/// queued alerts and due texts are taken with `FOR UPDATE SKIP LOCKED`, so
/// two processes never take the same one, and neither waits for the other.
extension PostgresSectorStore {
    public func holdNewAlerts(
        limit: Int, at ts: Int64, matches: @escaping @Sendable (SectorAlertRecord, Subscriber) -> Bool
    ) async throws -> Int {
        // Asked every second by every process: one cheap read when nothing is queued.
        let queued = try await withConnection("look for new alerts for the hotline") { connection in
            try await !self.rows("SELECT 1 FROM sms_alert_queue LIMIT 1", on: connection).isEmpty
        }
        guard queued else { return 0 }
        // Opted-out phones are left out here: what comes during an opt-out is never texted.
        let subscribers = try await subscribers().filter { !$0.optedOut }.map(\.subscriber)
        return try await withTransaction("hold new alerts for the hotline") { connection in
            let taken = try await self.rows(
                """
                SELECT seq, alert_id FROM sms_alert_queue ORDER BY seq LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED
                """, on: connection
            ).map { try $0.decode((Int64, String).self) }
            guard !taken.isEmpty else { return 0 }
            let ids = taken.map(\.1)
            let alerts = try await self.rows(
                "SELECT \(unescaped: Self.alertColumns) FROM sector_alerts WHERE id = ANY(\(ids)::text[])",
                on: connection
            ).map(Self.record)
            var phones: [String] = []
            var held: [String] = []
            for alert in alerts {
                for subscriber in subscribers where matches(alert, subscriber) {
                    phones.append(subscriber.phone)
                    held.append(alert.id)
                }
            }
            if !phones.isEmpty {
                try await self.rows(
                    """
                    INSERT INTO sms_held (phone, alert_id, held_ts)
                    SELECT p, a, \(ts) FROM unnest(\(phones)::text[], \(held)::text[]) AS u(p, a)
                    ON CONFLICT DO NOTHING
                    """, on: connection)
            }
            let seqs = taken.map(\.0)
            try await self.rows("DELETE FROM sms_alert_queue WHERE seq = ANY(\(seqs)::bigint[])", on: connection)
            return taken.count
        }
    }

    public func phonesWithHeldAlerts() async throws -> [String] {
        try await withConnection("list phones with held alerts") { connection in
            try await self.rows("SELECT DISTINCT phone FROM sms_held ORDER BY phone", on: connection)
                .map { try $0.decode(String.self) }
        }
    }

    public func heldAlerts(phone: String) async throws -> [SectorAlertRecord] {
        let columns = Self.alertColumns.split(separator: ",")
            .map { "a." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        return try await withConnection("read the alerts held for \(phone)") { connection in
            try await self.rows(
                """
                SELECT \(unescaped: columns) FROM sms_held h JOIN sector_alerts a ON a.id = h.alert_id
                WHERE h.phone = \(phone) ORDER BY coalesce(a.last_ts, a.received_ts), a.seq
                """, on: connection
            ).map(Self.record)
        }
    }

    public func dropHeldAlerts(phone: String) async throws -> Int {
        try await withConnection("drop the alerts held for \(phone)") { connection in
            try await self.rows("DELETE FROM sms_held WHERE phone = \(phone) RETURNING alert_id", on: connection).count
        }
    }

    public func textTimes(phone: String, since: Int64) async throws -> [Int64] {
        try await withConnection("read the texts to \(phone)") { connection in
            try await self.rows(
                """
                SELECT queued_ts FROM sms_outbox WHERE phone = \(phone) AND queued_ts > \(since)
                    AND state <> 'dropped' ORDER BY queued_ts
                """, on: connection
            ).map { try $0.decode(Int64.self) }
        }
    }

    /// The first key of `pg_advisory_xact_lock(int, int)` while a phone's
    /// texts are queued ("pick" in ASCII); the second is the phone's hash.
    static let phoneLock: Int32 = 0x7069_636B

    public func queueTexts(phone: String, _ texts: [PlannedText], at ts: Int64, textsBefore: Int) async throws
        -> Bool
    {
        guard !texts.isEmpty else { return true }
        let alerts = Array(Set(texts.flatMap(\.alertIDs)))
        return try await withTransaction("queue texts to \(phone)") { connection in
            // One planner per phone at a time until commit (every release of
            // a held alert by a planner is here), so both counts stay true.
            try await self.rows(
                "SELECT pg_advisory_xact_lock(\(Self.phoneLock), hashtext(\(phone)))", on: connection)
            let before = try await self.rows(
                "SELECT count(*) FROM sms_outbox WHERE phone = \(phone) AND state <> 'dropped'", on: connection
            ).first?.decode(Int64.self)
            let held = try await self.rows(
                "SELECT count(*) FROM sms_held WHERE phone = \(phone) AND alert_id = ANY(\(alerts)::text[])",
                on: connection
            ).first?.decode(Int64.self)
            guard before == Int64(textsBefore), held == Int64(alerts.count) else { return false }
            try await self.rows(
                "DELETE FROM sms_held WHERE phone = \(phone) AND alert_id = ANY(\(alerts)::text[])", on: connection)
            for text in texts {
                try await self.rows(
                    """
                    INSERT INTO sms_outbox (id, phone, body, alerts, state, attempts, next_attempt_ts, queued_ts)
                    VALUES (\(text.id), \(phone), \(text.body), \(JSONWriter.array(text.alertIDs)), 'pending', 0,
                        \(ts), \(ts))
                    ON CONFLICT (id) DO NOTHING
                    """, on: connection)
            }
            return true
        }
    }

    static let textColumns =
        "id, phone, body, alerts, state, attempts::bigint, next_attempt_ts, queued_ts, done_ts, "
        + "last_status::bigint, last_error"

    static func text(_ row: PostgresRow) throws -> SectorText {
        let (id, phone, body, alerts, state, attempts, next, queued, done, status, error) = try row.decode(
            (String, String, String, String, String, Int64, Int64, Int64, Int64?, Int64?, String?).self)
        return SectorText(
            id: id, phone: phone, body: body, alertIDs: Subscriber.zones(column: alerts),
            state: SectorText.State(rawValue: state) ?? .pending, attempts: Int(attempts), nextAttemptTs: next,
            queuedTs: queued, doneTs: done, lastStatus: status.map(Int.init), lastError: error)
    }

    public func claimTexts(by claimant: String, now: Int64, until: Int64, limit: Int) async throws -> [SectorText] {
        try await withConnection("claim texts to send") { connection in
            try await self.rows(
                """
                UPDATE sms_outbox SET claimed_by = \(claimant), claim_until = \(until)
                WHERE id IN (
                    SELECT id FROM sms_outbox
                    WHERE state = 'pending' AND next_attempt_ts <= \(now)
                        AND (claim_until IS NULL OR claim_until <= \(now))
                    ORDER BY next_attempt_ts, queued_ts, id LIMIT \(Int64(limit))
                    FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: Self.textColumns)
                """, on: connection
            ).map(Self.text)
                .sorted { ($0.nextAttemptTs, $0.queuedTs, $0.id) < ($1.nextAttemptTs, $1.queuedTs, $1.id) }
        }
    }

    public func settleText(id: String, claimant: String, _ outcome: TextOutcome, at ts: Int64) async throws -> Bool {
        let next: Int64? = if case .retry(let at, _, _) = outcome { at } else { nil }
        let attempt: Int64 = outcome.isAttempt ? 1 : 0
        let done: Int64? = outcome.state == .pending ? nil : ts
        let status = outcome.status.map(Int64.init)
        return try await withConnection("settle text \(id)") { connection in
            try await self.rows(
                """
                UPDATE sms_outbox SET state = \(outcome.state.rawValue), attempts = attempts + \(attempt),
                    next_attempt_ts = coalesce(\(next)::bigint, next_attempt_ts), done_ts = \(done)::bigint,
                    last_status = \(status)::integer, last_error = \(outcome.error)::text, claimed_by = NULL,
                    claim_until = NULL
                WHERE id = \(id) AND claimed_by = \(claimant)
                RETURNING id
                """, on: connection
            ).count == 1
        }
    }

    public func texts(phone: String?) async throws -> [SectorText] {
        try await withConnection("list texts") { connection in
            try await self.rows(
                """
                SELECT \(unescaped: Self.textColumns) FROM sms_outbox
                WHERE \(phone)::text IS NULL OR phone = \(phone)::text ORDER BY queued_ts, id
                """, on: connection
            ).map(Self.text)
        }
    }
}
