import PicketCore
import PicketStore

/// Subscribers and opt-outs (`SubscriberStore`) in the tables of migration 4.
extension SQLiteSectorStore {
    public func addSubscriber(_ subscriber: Subscriber, at ts: Int64) throws -> StoreOutcome {
        let statement = try database.statement(
            """
            INSERT INTO subscribers (phone, name, zones, min_severity, quiet_start_minute, quiet_end_minute,
                max_per_hour, created_ts)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (phone) DO NOTHING
            """)
        statement.bind(1, subscriber.phone)
        statement.bind(2, subscriber.name)
        statement.bind(3, subscriber.zonesColumn)
        statement.bind(4, subscriber.minSeverity.rawValue)
        statement.bind(5, subscriber.quietHours?.startMinute)
        statement.bind(6, subscriber.quietHours?.endMinute)
        statement.bind(7, subscriber.maxPerHour)
        statement.bind(8, ts)
        try statement.run()
        return database.changes == 1 ? .stored : .duplicate
    }

    private static let subscriberQuery = """
        SELECT s.phone, s.name, s.zones, s.min_severity, s.quiet_start_minute, s.quiet_end_minute, s.max_per_hour,
            s.created_ts, coalesce(o.opted_out, 0)
        FROM subscribers s LEFT JOIN phone_opt_outs o ON o.phone = s.phone
        """

    private static func subscriber(_ s: SQLiteStatement) -> SectorSubscriber {
        var quiet: Subscriber.QuietHours?
        if let start = s.optionalInt64(4), let end = s.optionalInt64(5) {
            quiet = Subscriber.QuietHours(startMinute: Int(start), endMinute: Int(end))
        }
        return SectorSubscriber(
            subscriber: Subscriber(
                name: s.string(1), phone: s.string(0), zones: Subscriber.zones(column: s.string(2)),
                minSeverity: Severity(rawValue: s.string(3)) ?? .low, quietHours: quiet,
                maxPerHour: s.optionalInt64(6).map(Int.init)),
            optedOut: s.int(8) != 0, createdTs: s.int64(7))
    }

    public func subscribers() throws -> [SectorSubscriber] {
        let statement = try database.statement(Self.subscriberQuery + " ORDER BY s.name, s.phone")
        defer { statement.reset() }
        var rows: [SectorSubscriber] = []
        while try statement.step() { rows.append(Self.subscriber(statement)) }
        return rows
    }

    public func subscriber(phone: String) throws -> SectorSubscriber? {
        let statement = try database.statement(Self.subscriberQuery + " WHERE s.phone = ?")
        defer { statement.reset() }
        statement.bind(1, phone)
        return try statement.step() ? Self.subscriber(statement) : nil
    }

    public func removeSubscriber(phone: String) throws -> Bool {
        let statement = try database.statement("DELETE FROM subscribers WHERE phone = ?")
        statement.bind(1, phone)
        try statement.run()
        return database.changes == 1
    }

    public func setOptedOut(phone: String, _ optedOut: Bool, keyword: String, at ts: Int64) throws -> Bool {
        try database.transaction { () throws -> Bool in
            let before = try isOptedOut(phone: phone)
            guard before != optedOut else { return false }
            let statement = try database.statement(
                """
                INSERT INTO phone_opt_outs (phone, opted_out, keyword, changed_ts) VALUES (?, ?, ?, ?)
                ON CONFLICT (phone) DO UPDATE SET opted_out = excluded.opted_out, keyword = excluded.keyword,
                    changed_ts = excluded.changed_ts
                """)
            statement.bind(1, phone)
            statement.bind(2, optedOut ? 1 : 0)
            statement.bind(3, keyword)
            statement.bind(4, ts)
            try statement.run()
            return true
        }
    }

    public func isOptedOut(phone: String) throws -> Bool {
        let statement = try database.statement("SELECT opted_out FROM phone_opt_outs WHERE phone = ?")
        defer { statement.reset() }
        statement.bind(1, phone)
        return try statement.step() && statement.int(0) != 0
    }
}
