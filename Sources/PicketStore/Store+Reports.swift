import CSQLite
import PicketCore

/// A hotline report in the inbox, and whether a daemon has taken it.
public struct StoredReport: Sendable, Equatable {
    /// The id of the report's event.
    public var id: String
    public var zone: String
    public var detectionClass: String?
    public var note: String?
    public var ts: Int64
    /// When a running daemon took the report into its rules; nil until then.
    public var takenTs: Int64?
    /// The run that took it.
    public var takenRun: String?

    public init(
        id: String, zone: String, detectionClass: String? = nil, note: String? = nil, ts: Int64,
        takenTs: Int64? = nil, takenRun: String? = nil
    ) {
        self.id = id
        self.zone = zone
        self.detectionClass = detectionClass
        self.note = note
        self.ts = ts
        self.takenTs = takenTs
        self.takenRun = takenRun
    }
}

/// Which box a database belongs to, as far as the database itself tells.
public struct BoxIdentity: Sendable, Equatable {
    public enum Origin: String, Sendable {
        /// Recorded by the last `picket run` on this database.
        case run
        /// Taken from the most recently stored event.
        case event
    }

    public var box: String
    public var sector: String
    /// The configured `site` of the run that recorded it.
    public var site: Position?
    public var origin: Origin

    public init(box: String, sector: String, site: Position? = nil, origin: Origin) {
        self.box = box
        self.sector = sector
        self.site = site
        self.origin = origin
    }
}

/// Hotline reports (`picket report`): a command-line process stores each one,
/// and the running daemon takes it into its rules. Both sides hold the file
/// open at once; every write here is one short `BEGIN IMMEDIATE` transaction,
/// so the other side's busy timeout covers it.
extension Store {
    /// Stores a report: its event and its inbox row, in one transaction.
    /// Returns false when the same report (the same id) was already stored.
    @discardableResult
    public func storeReport(_ event: Event) throws(StoreError) -> Bool {
        try wrap {
            try database.transaction {
                try insertEvents([event])
                let s = try database.statement(
                    "INSERT OR IGNORE INTO reports (id, zone, class, note, ts) VALUES (?, ?, ?, ?, ?)")
                s.bind(1, event.id)
                s.bind(2, event.zone ?? "")
                s.bind(3, event.detectionClass)
                s.bind(4, event.note)
                s.bind(5, event.ts)
                try s.run()
                return database.changes > 0
            }
        }
    }

    /// The events of reports no daemon has taken yet, oldest first.
    public func untakenReports(limit: Int = 500) throws(StoreError) -> [Event] {
        try wrap {
            let s = try database.statement(
                """
                SELECT \(Self.eventColumns) FROM events WHERE id IN (
                    SELECT id FROM reports WHERE taken_ts IS NULL ORDER BY ts, seq LIMIT ?1)
                ORDER BY ts, seq
                """)
            s.bind(1, limit)
            defer { s.reset() }
            var out: [Event] = []
            while try s.step() { out.append(Self.event(s)) }
            return out
        }
    }

    /// Marks reports taken, inside the batch transaction that stores their
    /// events and the alerts they took part in.
    func markTaken(_ ids: [String], run: String, now: Int64) throws {
        guard !ids.isEmpty else { return }
        let s = try database.statement(
            "UPDATE reports SET taken_ts = ?, taken_run = ? WHERE id = ? AND taken_ts IS NULL")
        for id in ids {
            s.reset()
            s.bind(1, now)
            s.bind(2, run)
            s.bind(3, id)
            try s.run()
        }
    }

    /// Every report in the inbox, oldest first.
    public func reports() throws(StoreError) -> [StoredReport] {
        try wrap {
            let s = try database.statement(
                "SELECT id, zone, class, note, ts, taken_ts, taken_run FROM reports ORDER BY ts, seq")
            defer { s.reset() }
            var out: [StoredReport] = []
            while try s.step() {
                out.append(
                    StoredReport(
                        id: s.string(0), zone: s.string(1), detectionClass: s.optionalString(2),
                        note: s.optionalString(3), ts: s.int64(4), takenTs: s.optionalInt64(5),
                        takenRun: s.optionalString(6)))
            }
            return out
        }
    }

    // MARK: - The box's identity

    /// Records the box a live run stamps its events with, so that `picket
    /// report` without a configuration stamps reports the same way.
    public func recordIdentity(box: String, sector: String, site: Position?) throws(StoreError) {
        try wrap {
            try database.transaction {
                let s = try database.statement(
                    "INSERT INTO box (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                for (key, value) in [("box", box), ("sector", sector)] {
                    s.reset()
                    s.bind(1, key)
                    s.bind(2, value)
                    try s.run()
                }
                if let site {
                    s.reset()
                    s.bind(1, "site")
                    s.bind(2, "\(site.lat),\(site.lon)")
                    try s.run()
                } else {
                    try database.execute("DELETE FROM box WHERE key = 'site'")
                }
            }
        }
    }

    /// The box, sector and site the last `picket run` recorded; else the box
    /// and sector of the most recently stored event; nil for a database with
    /// neither.
    public func identity() throws(StoreError) -> BoxIdentity? {
        try wrap {
            let s = try database.statement("SELECT key, value FROM box WHERE key IN ('box', 'sector', 'site')")
            var values: [String: String] = [:]
            while try s.step() { values[s.string(0)] = s.string(1) }
            s.reset()
            if let box = values["box"], let sector = values["sector"] {
                let parts = values["site"]?.split(separator: ",").compactMap { Double($0) } ?? []
                let site = parts.count == 2 ? Position(lat: parts[0], lon: parts[1]) : nil
                return BoxIdentity(box: box, sector: sector, site: site, origin: .run)
            }
            let latest = try database.statement("SELECT box, sector FROM events ORDER BY seq DESC LIMIT 1")
            defer { latest.reset() }
            guard try latest.step() else { return nil }
            return BoxIdentity(box: latest.string(0), sector: latest.string(1), origin: .event)
        }
    }
}

extension SQLiteError {
    /// Whether another connection held the lock for longer than the busy
    /// timeout: nothing is wrong with the file, trying again may work.
    public var isLocked: Bool {
        let primary = code & 0xFF
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED
    }
}
