/// The sector database's schema, as an ordered list of migrations, like the
/// box's (`PicketStore`'s `Schema`): `PRAGMA user_version` counts the ones
/// applied. A PostgreSQL store keeps the same tables and columns.
enum SectorSchema {
    static let migrations: [String] = [
        // 1: alerts from boxes and from the sector itself; boxes.
        """
        CREATE TABLE sector_alerts (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            box TEXT NOT NULL,
            format TEXT NOT NULL,
            rule TEXT,
            severity TEXT,
            zone TEXT,
            first_ts INTEGER,
            last_ts INTEGER,
            lat REAL,
            lon REAL,
            summary TEXT,
            received_ts INTEGER NOT NULL,
            body TEXT NOT NULL,
            ack_by TEXT,
            ack_ts INTEGER
        );
        CREATE INDEX sector_alerts_received ON sector_alerts (received_ts);
        CREATE INDEX sector_alerts_box_received ON sector_alerts (box, received_ts);
        CREATE TABLE boxes (
            box TEXT PRIMARY KEY,
            last_status TEXT,
            last_status_ts INTEGER,
            last_status_box_ts INTEGER,
            clock_offset_s INTEGER,
            clock_wrong INTEGER NOT NULL DEFAULT 0,
            clock_checked_ts INTEGER,
            offline INTEGER NOT NULL DEFAULT 0,
            offline_changed_ts INTEGER
        );
        CREATE INDEX boxes_last_status ON boxes (offline, last_status_ts);
        """,
        // 2: the fleet page's sessions and failed logins, shared by every process on the database.
        """
        CREATE TABLE operator_sessions (
            id TEXT PRIMARY KEY,
            operator TEXT NOT NULL,
            csrf_token TEXT NOT NULL,
            created_ts INTEGER NOT NULL,
            expires_ts INTEGER NOT NULL
        );
        CREATE INDEX operator_sessions_expires ON operator_sessions (expires_ts);
        CREATE TABLE login_failures (
            key TEXT NOT NULL,
            ts INTEGER NOT NULL
        );
        CREATE INDEX login_failures_key_ts ON login_failures (key, ts);
        CREATE INDEX login_failures_ts ON login_failures (ts);
        """,
        // 3: the alert's sector, direction and events as columns (PRODUCT.md 5), for `GET /v1/alerts`;
        // `events` is a JSON array of the box's event ids. Older rows keep NULL.
        """
        ALTER TABLE sector_alerts ADD COLUMN sector TEXT;
        ALTER TABLE sector_alerts ADD COLUMN direction TEXT;
        ALTER TABLE sector_alerts ADD COLUMN events TEXT;
        """,
        // 4: the hotline's subscribers (zones a JSON array of `zone` or `box:zone`; quiet hours as minutes after
        // local midnight) and every phone's opt-out, kept apart so that STOP holds whatever the list says.
        """
        CREATE TABLE subscribers (
            phone TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            zones TEXT NOT NULL,
            min_severity TEXT NOT NULL,
            quiet_start_minute INTEGER,
            quiet_end_minute INTEGER,
            max_per_hour INTEGER,
            created_ts INTEGER NOT NULL
        );
        CREATE TABLE phone_opt_outs (
            phone TEXT PRIMARY KEY,
            opted_out INTEGER NOT NULL,
            keyword TEXT NOT NULL,
            changed_ts INTEGER NOT NULL
        );
        """,
        // 5: the hotline's inbound half (issue 13): every text from the SMS gateway once by MessageSid (kind one
        // of stop, start, help, ack, report, unknown; the subscriber's name or NULL for an unknown phone; the
        // reply sent), the sighting reports made of them (box set when the subscriber's zone was `box:zone`),
        // and which box took which report (listed in its status's `reports_taken`).
        """
        CREATE TABLE sms_inbound (
            message_sid TEXT PRIMARY KEY,
            from_phone TEXT NOT NULL,
            to_phone TEXT NOT NULL,
            body TEXT NOT NULL,
            received_ts INTEGER NOT NULL,
            kind TEXT NOT NULL,
            subscriber TEXT,
            reply TEXT NOT NULL
        );
        CREATE INDEX sms_inbound_received ON sms_inbound (received_ts);
        CREATE TABLE sector_reports (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            zone TEXT NOT NULL,
            box TEXT,
            class TEXT NOT NULL,
            note TEXT NOT NULL,
            ts INTEGER NOT NULL,
            from_phone TEXT NOT NULL,
            subscriber TEXT,
            message_sid TEXT NOT NULL
        );
        CREATE INDEX sector_reports_zone_ts ON sector_reports (zone, ts);
        CREATE INDEX sector_reports_ts ON sector_reports (ts);
        CREATE TABLE sector_report_takes (
            report_id TEXT NOT NULL,
            box TEXT NOT NULL,
            taken_ts INTEGER NOT NULL,
            PRIMARY KEY (report_id, box)
        );
        """,
        // 6: the hotline's outbound texts (issue 13): which alerts were texted to which phone, and when (for ACK).
        """
        CREATE TABLE sms_texted (
            phone TEXT NOT NULL,
            alert_id TEXT NOT NULL,
            texted_ts INTEGER NOT NULL,
            PRIMARY KEY (phone, alert_id)
        );
        CREATE INDEX sms_texted_phone_ts ON sms_texted (phone, texted_ts);
        -- Every box alert stored from now on, queued for the hotline by a trigger in the transaction that stores
        -- it (so the group commit of storeAlert needs no change and no crash falls between the two); the
        -- hotline's desk takes queued alerts, holds each for the subscribers it matches and deletes them from
        -- the queue, in one transaction.
        CREATE TABLE sms_alert_queue (
            seq INTEGER PRIMARY KEY,
            alert_id TEXT NOT NULL
        );
        -- Only while there is a subscriber at all: a sector without a hotline pays nothing for it.
        CREATE TRIGGER sector_alerts_queue_sms AFTER INSERT ON sector_alerts
        WHEN NEW.source = 'box' AND EXISTS (SELECT 1 FROM subscribers)
        BEGIN
            INSERT INTO sms_alert_queue (alert_id) VALUES (NEW.id);
        END;
        -- An alert matched to a subscriber's phone and not texted yet (quiet hours, the hourly cap).
        CREATE TABLE sms_held (
            phone TEXT NOT NULL,
            alert_id TEXT NOT NULL,
            held_ts INTEGER NOT NULL,
            PRIMARY KEY (phone, alert_id)
        );
        -- The texts' outbox: pending (claimed by one process at a time: claimed_by until claim_until), sent,
        -- dead (a 4xx other than 408 and 429; last_status and last_error keep the answer) or dropped (the phone
        -- opted out, or is no subscriber any more, before it went).
        CREATE TABLE sms_outbox (
            id TEXT PRIMARY KEY,
            phone TEXT NOT NULL,
            body TEXT NOT NULL,
            alerts TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_ts INTEGER NOT NULL,
            queued_ts INTEGER NOT NULL,
            done_ts INTEGER,
            last_status INTEGER,
            last_error TEXT,
            claimed_by TEXT,
            claim_until INTEGER
        );
        CREATE INDEX sms_outbox_due ON sms_outbox (state, next_attempt_ts);
        CREATE INDEX sms_outbox_phone_queued ON sms_outbox (phone, queued_ts);
        """,
    ]
}
