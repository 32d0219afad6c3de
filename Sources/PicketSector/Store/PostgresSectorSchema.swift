/// The PostgreSQL sector database's schema: the same tables and columns as
/// `SectorSchema` (SQLite), in PostgreSQL's types, as numbered migrations.
/// Migration N is recorded as a row `version = N` in
/// `picket_sector_migrations`, which plays the part of SQLite's
/// `PRAGMA user_version`; `PostgresSectorStore.migrate()` applies the
/// missing ones in one transaction under a transaction-level advisory lock,
/// so two processes starting at once apply each exactly once.
enum PostgresSectorSchema {
    /// The key of `pg_advisory_xact_lock` around migrating ("picket" in
    /// ASCII, then 1 for the sector's schema).
    static let migrationLock: Int64 = 0x7069_636B_6574_0001

    static let bookkeeping = """
        CREATE TABLE IF NOT EXISTS picket_sector_migrations (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """

    /// Each migration as its statements (the extended protocol runs one
    /// statement a query).
    static let migrations: [[String]] = [
        // 1: alerts from boxes and from the sector itself; boxes.
        [
            """
            CREATE TABLE sector_alerts (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                source TEXT NOT NULL,
                box TEXT NOT NULL,
                format TEXT NOT NULL,
                rule TEXT,
                severity TEXT,
                zone TEXT,
                first_ts BIGINT,
                last_ts BIGINT,
                lat DOUBLE PRECISION,
                lon DOUBLE PRECISION,
                summary TEXT,
                received_ts BIGINT NOT NULL,
                body TEXT NOT NULL,
                ack_by TEXT,
                ack_ts BIGINT
            )
            """,
            "CREATE INDEX sector_alerts_received ON sector_alerts (received_ts)",
            "CREATE INDEX sector_alerts_box_received ON sector_alerts (box, received_ts)",
            """
            CREATE TABLE boxes (
                box TEXT PRIMARY KEY,
                last_status TEXT,
                last_status_ts BIGINT,
                last_status_box_ts BIGINT,
                clock_offset_s BIGINT,
                clock_wrong BOOLEAN NOT NULL DEFAULT false,
                clock_checked_ts BIGINT,
                offline BOOLEAN NOT NULL DEFAULT false,
                offline_changed_ts BIGINT
            )
            """,
            "CREATE INDEX boxes_last_status ON boxes (offline, last_status_ts)",
        ],
        // 2: the fleet page's sessions and failed logins (SectorSchema's 2).
        [
            """
            CREATE TABLE operator_sessions (
                id TEXT PRIMARY KEY,
                operator TEXT NOT NULL,
                csrf_token TEXT NOT NULL,
                created_ts BIGINT NOT NULL,
                expires_ts BIGINT NOT NULL
            )
            """,
            "CREATE INDEX operator_sessions_expires ON operator_sessions (expires_ts)",
            "CREATE TABLE login_failures (key TEXT NOT NULL, ts BIGINT NOT NULL)",
            "CREATE INDEX login_failures_key_ts ON login_failures (key, ts)",
            "CREATE INDEX login_failures_ts ON login_failures (ts)",
        ],
        // 3: sector, direction and events (a JSON array) as columns (SectorSchema's 3).
        [
            "ALTER TABLE sector_alerts ADD COLUMN sector TEXT",
            "ALTER TABLE sector_alerts ADD COLUMN direction TEXT",
            "ALTER TABLE sector_alerts ADD COLUMN events TEXT",
        ],
        // 4: subscribers and opt-outs (SectorSchema's 4).
        [
            """
            CREATE TABLE subscribers (
                phone TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                zones TEXT NOT NULL,
                min_severity TEXT NOT NULL,
                quiet_start_minute INTEGER,
                quiet_end_minute INTEGER,
                max_per_hour INTEGER,
                created_ts BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE phone_opt_outs (
                phone TEXT PRIMARY KEY,
                opted_out BOOLEAN NOT NULL,
                keyword TEXT NOT NULL,
                changed_ts BIGINT NOT NULL
            )
            """,
        ],
        // 5: inbound texts, reports and their takers (SectorSchema's 5).
        [
            """
            CREATE TABLE sms_inbound (
                message_sid TEXT PRIMARY KEY,
                from_phone TEXT NOT NULL,
                to_phone TEXT NOT NULL,
                body TEXT NOT NULL,
                received_ts BIGINT NOT NULL,
                kind TEXT NOT NULL,
                subscriber TEXT,
                reply TEXT NOT NULL
            )
            """,
            "CREATE INDEX sms_inbound_received ON sms_inbound (received_ts)",
            """
            CREATE TABLE sector_reports (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                zone TEXT NOT NULL,
                box TEXT,
                class TEXT NOT NULL,
                note TEXT NOT NULL,
                ts BIGINT NOT NULL,
                from_phone TEXT NOT NULL,
                subscriber TEXT,
                message_sid TEXT NOT NULL
            )
            """,
            "CREATE INDEX sector_reports_zone_ts ON sector_reports (zone, ts)",
            "CREATE INDEX sector_reports_ts ON sector_reports (ts)",
            """
            CREATE TABLE sector_report_takes (
                report_id TEXT NOT NULL,
                box TEXT NOT NULL,
                taken_ts BIGINT NOT NULL,
                PRIMARY KEY (report_id, box)
            )
            """,
        ],
        // 6: the hotline's outbound texts (SectorSchema's 6).
        [
            """
            CREATE TABLE sms_texted (
                phone TEXT NOT NULL,
                alert_id TEXT NOT NULL,
                texted_ts BIGINT NOT NULL,
                PRIMARY KEY (phone, alert_id)
            )
            """,
            "CREATE INDEX sms_texted_phone_ts ON sms_texted (phone, texted_ts)",
            // Box alerts queued for the hotline in the statement that stores them (SectorSchema's 6).
            """
            CREATE TABLE sms_alert_queue (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                alert_id TEXT NOT NULL
            )
            """,
            """
            CREATE FUNCTION picket_queue_sms() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                -- Once per statement (a group commit stores many alerts in one), in their order, and only
                -- while there is a subscriber at all: a sector without a hotline pays nothing for it.
                IF EXISTS (SELECT 1 FROM subscribers) THEN
                    INSERT INTO sms_alert_queue (alert_id)
                    SELECT id FROM inserted WHERE source = 'box' ORDER BY seq;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER sector_alerts_queue_sms AFTER INSERT ON sector_alerts
            REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION picket_queue_sms()
            """,
            """
            CREATE TABLE sms_held (
                phone TEXT NOT NULL,
                alert_id TEXT NOT NULL,
                held_ts BIGINT NOT NULL,
                PRIMARY KEY (phone, alert_id)
            )
            """,
            """
            CREATE TABLE sms_outbox (
                id TEXT PRIMARY KEY,
                phone TEXT NOT NULL,
                body TEXT NOT NULL,
                alerts TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_ts BIGINT NOT NULL,
                queued_ts BIGINT NOT NULL,
                done_ts BIGINT,
                last_status INTEGER,
                last_error TEXT,
                claimed_by TEXT,
                claim_until BIGINT
            )
            """,
            "CREATE INDEX sms_outbox_due ON sms_outbox (state, next_attempt_ts)",
            "CREATE INDEX sms_outbox_phone_queued ON sms_outbox (phone, queued_ts)",
        ],
    ]
}
