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
        """
    ]
}
