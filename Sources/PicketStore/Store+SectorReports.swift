import PicketCore

/// Sightings the sector hands the box in an answer (PRODUCT.md section 6):
/// each is stored once, by the sector's id, as a report (an inbox row and
/// its event) that the running daemon takes into its rules like a `picket
/// report`, and is listed in `reports_taken` of the box's statuses until a
/// status that lists it has been delivered.
extension Store {
    /// Stores a report from the sector: its event (with `reportedTs`) and its
    /// inbox row, in one transaction. Returns false when a report with this
    /// sector id was already stored.
    @discardableResult
    public func storeSectorReport(_ event: Event, sectorID: String) throws(StoreError) -> Bool {
        try wrap {
            try database.transaction {
                let s = try database.statement(
                    """
                    INSERT OR IGNORE INTO reports (id, zone, class, note, ts, sector_id, reported_ts)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                s.reset()
                s.bind(1, event.id)
                s.bind(2, event.zone ?? "")
                s.bind(3, event.detectionClass)
                s.bind(4, event.note)
                s.bind(5, event.ts)
                s.bind(6, sectorID)
                s.bind(7, event.reportedTs)
                try s.run()
                guard database.changes > 0 else { return false }
                try insertEvents([event])
                return true
            }
        }
    }

    /// Sector ids of the reports stored that no delivered status has listed
    /// yet, oldest first.
    public func unlistedSectorReports(limit: Int = 1000) throws(StoreError) -> [String] {
        try wrap {
            let s = try database.statement(
                """
                SELECT sector_id FROM reports WHERE sector_id IS NOT NULL AND listed_status IS NULL
                ORDER BY seq LIMIT ?
                """)
            s.reset()
            s.bind(1, limit)
            defer { s.reset() }
            var out: [String] = []
            while try s.step() { out.append(s.string(0)) }
            return out
        }
    }

    /// A status listing these reports was delivered: they are not listed again.
    public func markSectorReportsListed(_ sectorIDs: [String], status: String) throws(StoreError) {
        guard !sectorIDs.isEmpty else { return }
        try wrap {
            try database.transaction {
                let s = try database.statement(
                    "UPDATE reports SET listed_status = ? WHERE sector_id = ? AND listed_status IS NULL")
                for id in sectorIDs {
                    s.reset()
                    s.bind(1, status)
                    s.bind(2, id)
                    try s.run()
                }
            }
        }
    }

    /// Pending (or in flight) and dead messages, and when the oldest pending
    /// one was queued, for the status document; `excluding` a destination
    /// (the statuses themselves).
    public func outboxSummary(excluding: String) throws(StoreError) -> (
        pending: Int, dead: Int, oldestPendingTs: Int64?
    ) {
        try wrap {
            let s = try database.statement(
                """
                SELECT COALESCE(SUM(state IN ('pending', 'in_flight')), 0), COALESCE(SUM(state = 'dead'), 0),
                    MIN(CASE WHEN state IN ('pending', 'in_flight') THEN queued_ts END)
                FROM deliveries WHERE destination != ?
                """)
            s.reset()
            s.bind(1, excluding)
            defer { s.reset() }
            guard try s.step() else { return (0, 0, nil) }
            return (s.int(0), s.int(1), s.optionalInt64(2))
        }
    }
}
