import PicketCore
import PostgresNIO

/// Subscribers and opt-outs (`SubscriberStore`) in the tables of migration 4.
extension PostgresSectorStore {
    public func addSubscriber(_ subscriber: Subscriber, at ts: Int64) async throws -> StoreOutcome {
        let quietStart = subscriber.quietHours.map { Int64($0.startMinute) }
        let quietEnd = subscriber.quietHours.map { Int64($0.endMinute) }
        let cap = subscriber.maxPerHour.map(Int64.init)
        return try await withConnection("add subscriber \(subscriber.phone)") { connection in
            let inserted = try await self.rows(
                """
                INSERT INTO subscribers (phone, name, zones, min_severity, quiet_start_minute, quiet_end_minute,
                    max_per_hour, created_ts)
                VALUES (\(subscriber.phone), \(subscriber.name), \(subscriber.zonesColumn),
                    \(subscriber.minSeverity.rawValue), \(quietStart)::integer, \(quietEnd)::integer, \(cap)::integer,
                    \(ts))
                ON CONFLICT (phone) DO NOTHING
                RETURNING phone
                """, on: connection)
            return inserted.isEmpty ? .duplicate : .stored
        }
    }

    private static let subscriberQuery = """
        SELECT s.phone, s.name, s.zones, s.min_severity, s.quiet_start_minute::bigint, s.quiet_end_minute::bigint,
            s.max_per_hour::bigint, s.created_ts, coalesce(o.opted_out, false)
        FROM subscribers s LEFT JOIN phone_opt_outs o ON o.phone = s.phone
        """

    private static func subscriber(_ row: PostgresRow) throws -> SectorSubscriber {
        let (phone, name, zones, severity, start, end, cap, created, optedOut) = try row.decode(
            (String, String, String, String, Int64?, Int64?, Int64?, Int64, Bool).self)
        var quiet: Subscriber.QuietHours?
        if let start, let end { quiet = Subscriber.QuietHours(startMinute: Int(start), endMinute: Int(end)) }
        return SectorSubscriber(
            subscriber: Subscriber(
                name: name, phone: phone, zones: Subscriber.zones(column: zones),
                minSeverity: Severity(rawValue: severity) ?? .low, quietHours: quiet, maxPerHour: cap.map(Int.init)),
            optedOut: optedOut, createdTs: created)
    }

    public func subscribers() async throws -> [SectorSubscriber] {
        try await withConnection("list the subscribers") { connection in
            try await self.rows(
                PostgresQuery(unsafeSQL: Self.subscriberQuery + " ORDER BY s.name, s.phone"), on: connection
            ).map(Self.subscriber)
        }
    }

    public func subscriber(phone: String) async throws -> SectorSubscriber? {
        var binds = PostgresBindings()
        binds.append(phone)
        let query = PostgresQuery(unsafeSQL: Self.subscriberQuery + " WHERE s.phone = $1", binds: binds)
        return try await withConnection("read subscriber \(phone)") { connection in
            try await self.rows(query, on: connection).first.map(Self.subscriber)
        }
    }

    public func removeSubscriber(phone: String) async throws -> Bool {
        try await withConnection("remove subscriber \(phone)") { connection in
            try await !self.rows("DELETE FROM subscribers WHERE phone = \(phone) RETURNING phone", on: connection)
                .isEmpty
        }
    }

    /// The row is locked while it is read and written, so of two processes
    /// taking the same STOP one sees the change (a phone's first opt-out,
    /// with no row yet to lock, may be reported as a change by both).
    public func setOptedOut(phone: String, _ optedOut: Bool, keyword: String, at ts: Int64) async throws -> Bool {
        try await withTransaction("opt \(phone) \(optedOut ? "out" : "in")") { connection in
            let before =
                try await self.rows(
                    "SELECT opted_out FROM phone_opt_outs WHERE phone = \(phone) FOR UPDATE", on: connection
                ).first?.decode(Bool.self) ?? false
            guard before != optedOut else { return false }
            try await self.rows(
                """
                INSERT INTO phone_opt_outs (phone, opted_out, keyword, changed_ts)
                VALUES (\(phone), \(optedOut), \(keyword), \(ts))
                ON CONFLICT (phone) DO UPDATE SET opted_out = excluded.opted_out, keyword = excluded.keyword,
                    changed_ts = excluded.changed_ts
                """, on: connection)
            return true
        }
    }

    public func isOptedOut(phone: String) async throws -> Bool {
        try await withConnection("read the opt-out of \(phone)") { connection in
            try await self.rows("SELECT opted_out FROM phone_opt_outs WHERE phone = \(phone)", on: connection)
                .first?.decode(Bool.self) ?? false
        }
    }
}
