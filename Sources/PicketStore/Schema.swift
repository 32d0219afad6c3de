/// The database schema, as an ordered list of migrations. `PRAGMA
/// user_version` records how many have been applied; a database written by a
/// newer Picket (a higher version) is refused rather than misread.
enum Schema {
    static let migrations: [String] = [
        // 1: the foundation.
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            box TEXT NOT NULL,
            sector TEXT NOT NULL,
            sensor TEXT NOT NULL,
            kind TEXT NOT NULL,
            zone TEXT,
            source TEXT NOT NULL,
            state TEXT NOT NULL,
            ts INTEGER NOT NULL,
            episode TEXT NOT NULL,
            class TEXT,
            strength INTEGER,
            image_ref TEXT,
            lat REAL,
            lon REAL,
            tags TEXT NOT NULL DEFAULT '{}',
            note TEXT
        );
        CREATE INDEX events_ts ON events (ts);
        CREATE INDEX events_sensor_ts ON events (sensor, ts);
        CREATE TABLE alerts (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            severity_rank INTEGER NOT NULL,
            box TEXT NOT NULL,
            sector TEXT NOT NULL,
            zone TEXT,
            first_ts INTEGER NOT NULL,
            last_ts INTEGER NOT NULL,
            direction TEXT,
            events TEXT NOT NULL,
            lat REAL,
            lon REAL,
            summary TEXT NOT NULL,
            delivery TEXT NOT NULL DEFAULT 'pending'
        );
        CREATE INDEX alerts_first_ts ON alerts (first_ts);
        CREATE INDEX alerts_delivery ON alerts (delivery, severity_rank DESC, first_ts);
        CREATE TABLE sensors (
            sensor TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            zone TEXT,
            last_heartbeat_ts INTEGER,
            battery_mv INTEGER,
            temp_c REAL,
            tamper INTEGER
        );
        CREATE TABLE sensor_counters (
            run TEXT NOT NULL,
            sensor TEXT NOT NULL,
            duplicates INTEGER NOT NULL DEFAULT 0,
            lost INTEGER NOT NULL DEFAULT 0,
            glitches INTEGER NOT NULL DEFAULT 0,
            unknown_sentences INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (run, sensor)
        );
        CREATE TABLE counters (
            run TEXT NOT NULL,
            name TEXT NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (run, name)
        );
        CREATE TABLE runs (
            run TEXT PRIMARY KEY,
            mode TEXT NOT NULL,
            started_ts INTEGER NOT NULL,
            updated_ts INTEGER NOT NULL,
            input TEXT
        );
        CREATE TABLE box (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
        // 2: the health of live drivers' sources (GPIO lines, serial ports).
        """
        CREATE TABLE sources (
            source TEXT PRIMARY KEY,
            sensors TEXT NOT NULL DEFAULT '[]',
            healthy INTEGER NOT NULL,
            detail TEXT NOT NULL,
            since_ts INTEGER NOT NULL,
            ts INTEGER NOT NULL
        );
        """,
        // 3: the durable outbox: one row per message to send (an alert to the
        // sector, a text to a landowner), and the alerts each subscriber has
        // not been texted about yet.
        """
        CREATE TABLE deliveries (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            destination TEXT NOT NULL,
            alerts TEXT NOT NULL,
            body TEXT,
            state TEXT NOT NULL DEFAULT 'pending',
            severity_rank INTEGER NOT NULL,
            created_ts INTEGER NOT NULL,
            queued_ts INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_ts INTEGER NOT NULL DEFAULT 0,
            last_attempt_ts INTEGER,
            last_status INTEGER,
            last_response TEXT,
            delivered_ts INTEGER
        );
        CREATE INDEX deliveries_due ON deliveries (state, severity_rank DESC, created_ts);
        CREATE INDEX deliveries_destination ON deliveries (destination, queued_ts);
        CREATE TABLE hotline_held (
            subscriber TEXT NOT NULL,
            alert TEXT NOT NULL,
            held_ts INTEGER NOT NULL,
            PRIMARY KEY (subscriber, alert)
        );
        """,
        // 4: the inbox of hotline reports (`picket report`). Each report's event
        // is stored beside it in the same transaction; `taken_ts` stays NULL
        // until a running daemon has taken the report into its rules, and is
        // set in the transaction that stores what its rules made of it.
        """
        CREATE TABLE reports (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            zone TEXT NOT NULL,
            class TEXT,
            note TEXT,
            ts INTEGER NOT NULL,
            taken_ts INTEGER,
            taken_run TEXT
        );
        CREATE INDEX reports_untaken ON reports (ts, seq) WHERE taken_ts IS NULL;
        """,
        // 5 (issue 8: box status): the outbox is keyed by (message, destination),
        // so one message may go to several destinations; reports handed to the
        // box in a sector's answer keep the sector's id, the sighting's own time
        // and the status that told the sector the box has them; an event keeps
        // a report's `reported_ts`.
        """
        CREATE TABLE deliveries_keyed (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            destination TEXT NOT NULL,
            alerts TEXT NOT NULL,
            body TEXT,
            state TEXT NOT NULL DEFAULT 'pending',
            severity_rank INTEGER NOT NULL,
            created_ts INTEGER NOT NULL,
            queued_ts INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_ts INTEGER NOT NULL DEFAULT 0,
            last_attempt_ts INTEGER,
            last_status INTEGER,
            last_response TEXT,
            delivered_ts INTEGER,
            UNIQUE (id, destination)
        );
        INSERT INTO deliveries_keyed SELECT seq, id, destination, alerts, body, state, severity_rank, created_ts,
            queued_ts, attempts, next_attempt_ts, last_attempt_ts, last_status, last_response, delivered_ts
            FROM deliveries;
        DROP TABLE deliveries;
        ALTER TABLE deliveries_keyed RENAME TO deliveries;
        CREATE INDEX deliveries_due ON deliveries (state, severity_rank DESC, created_ts);
        CREATE INDEX deliveries_destination ON deliveries (destination, queued_ts);
        ALTER TABLE reports ADD COLUMN sector_id TEXT;
        ALTER TABLE reports ADD COLUMN reported_ts INTEGER;
        ALTER TABLE reports ADD COLUMN listed_status TEXT;
        CREATE UNIQUE INDEX reports_sector_id ON reports (sector_id) WHERE sector_id IS NOT NULL;
        ALTER TABLE events ADD COLUMN reported_ts INTEGER;
        """,
        // 6: `picket events --zone` and `picket alerts --zone`, in time order
        // straight from an index (with `--limit`, read backwards).
        """
        CREATE INDEX IF NOT EXISTS events_zone_ts ON events (zone, ts);
        CREATE INDEX IF NOT EXISTS alerts_zone_first_ts ON alerts (zone, first_ts);
        """,
        // 7 (issue 9: clock steps): a live event stored while the kernel said
        // the clock was not synchronised carries clock_synced = 0.
        """
        ALTER TABLE events ADD COLUMN clock_synced INTEGER;
        """,
        // 8 (issue 10): an alert with no sector delivery (stored by a replay
        // or a box without `forward`) is `not_forwarded`, not `pending`
        // forever; new ones are stored so.
        """
        UPDATE alerts SET delivery = 'not_forwarded'
            WHERE delivery = 'pending' AND NOT EXISTS (SELECT 1 FROM deliveries WHERE deliveries.id = alerts.id);
        """,
    ]
}
