import PicketStore

/// The hotline's inbound texts and reports (`SectorInboxStore`) in the tables of migration 5.
extension SQLiteSectorStore {
    private static let inboundColumns =
        "message_sid, from_phone, to_phone, body, received_ts, kind, subscriber, reply"

    private static func text(_ s: SQLiteStatement) -> InboundText {
        InboundText(
            messageSid: s.string(0), from: s.string(1), to: s.string(2), body: s.string(3), receivedTs: s.int64(4),
            kind: InboundText.Kind(rawValue: s.string(5)) ?? .unknown, subscriber: s.optionalString(6),
            reply: s.string(7))
    }

    private static let reportColumns = "id, zone, box, class, note, ts, from_phone, subscriber, message_sid"

    private static func report(_ s: SQLiteStatement) -> SectorReport {
        SectorReport(
            id: s.string(0), zone: s.string(1), box: s.optionalString(2), detectionClass: s.string(3),
            note: s.string(4), ts: s.int64(5), from: s.string(6), subscriber: s.optionalString(7),
            messageSid: s.string(8))
    }

    public func inboundText(messageSid: String) throws -> InboundText? {
        let statement = try database.statement("SELECT \(Self.inboundColumns) FROM sms_inbound WHERE message_sid = ?")
        defer { statement.reset() }
        statement.bind(1, messageSid)
        return try statement.step() ? Self.text(statement) : nil
    }

    public func recordInbound(_ text: InboundText, report: SectorReport?) throws -> StoreOutcome {
        try database.transaction { () throws -> StoreOutcome in
            let statement = try database.statement(
                "INSERT INTO sms_inbound (\(Self.inboundColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    + "ON CONFLICT (message_sid) DO NOTHING")
            statement.bind(1, text.messageSid)
            statement.bind(2, text.from)
            statement.bind(3, text.to)
            statement.bind(4, text.body)
            statement.bind(5, text.receivedTs)
            statement.bind(6, text.kind.rawValue)
            statement.bind(7, text.subscriber)
            statement.bind(8, text.reply)
            try statement.run()
            guard database.changes == 1 else { return .duplicate }
            if let report {
                let insert = try database.statement(
                    "INSERT INTO sector_reports (\(Self.reportColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                insert.bind(1, report.id)
                insert.bind(2, report.zone)
                insert.bind(3, report.box)
                insert.bind(4, report.detectionClass)
                insert.bind(5, report.note)
                insert.bind(6, report.ts)
                insert.bind(7, report.from)
                insert.bind(8, report.subscriber)
                insert.bind(9, report.messageSid)
                try insert.run()
            }
            return .stored
        }
    }

    public func inboundTexts(limit: Int) throws -> [InboundText] {
        let statement = try database.statement(
            "SELECT \(Self.inboundColumns) FROM sms_inbound ORDER BY received_ts DESC, rowid DESC LIMIT ?")
        defer { statement.reset() }
        statement.bind(1, limit)
        var rows: [InboundText] = []
        while try statement.step() { rows.append(Self.text(statement)) }
        return rows
    }

    public func reports(since: Int64?, limit: Int) throws -> [SectorReport] {
        let statement = try database.statement(
            """
            SELECT \(Self.reportColumns),
                (SELECT group_concat(box, ',') FROM sector_report_takes t WHERE t.report_id = r.id)
            FROM sector_reports r WHERE ts >= ? ORDER BY ts DESC, seq DESC LIMIT ?
            """)
        defer { statement.reset() }
        statement.bind(1, since ?? Int64.min)
        statement.bind(2, limit)
        var rows: [SectorReport] = []
        while try statement.step() {
            var report = Self.report(statement)
            report.takenBy =
                statement.optionalString(9).map { $0.split(separator: ",").map(String.init).sorted() } ?? []
            rows.append(report)
        }
        return rows
    }

    public func takeReports(box: String, taken: [String], zones: [String], since: Int64, limit: Int, at ts: Int64)
        throws -> [SectorReport]
    {
        try database.transaction { () throws -> [SectorReport] in
            let take = try database.statement(
                """
                INSERT INTO sector_report_takes (report_id, box, taken_ts)
                SELECT id, ?, ? FROM sector_reports WHERE id = ?
                ON CONFLICT (report_id, box) DO NOTHING
                """)
            for id in Set(taken) {
                take.reset()
                take.bind(1, box)
                take.bind(2, ts)
                take.bind(3, id)
                try take.run()
            }
            guard !zones.isEmpty else { return [] }
            let marks = Array(repeating: "?", count: zones.count).joined(separator: ", ")
            let statement = try database.statement(
                """
                SELECT \(Self.reportColumns) FROM sector_reports r
                WHERE ts >= ? AND zone IN (\(marks)) AND (box IS NULL OR box = ?)
                    AND NOT EXISTS (SELECT 1 FROM sector_report_takes t WHERE t.report_id = r.id AND t.box = ?)
                ORDER BY ts, seq LIMIT ?
                """)
            defer { statement.reset() }
            statement.bind(1, since)
            var index: Int32 = 2
            for zone in zones {
                statement.bind(index, zone)
                index += 1
            }
            statement.bind(index, box)
            statement.bind(index + 1, box)
            statement.bind(index + 2, limit)
            var rows: [SectorReport] = []
            while try statement.step() { rows.append(Self.report(statement)) }
            return rows
        }
    }

    public func optedOutPhones() throws -> [PhoneOptOut] {
        let statement = try database.statement(
            "SELECT phone, keyword, changed_ts FROM phone_opt_outs WHERE opted_out != 0 ORDER BY changed_ts DESC, phone"
        )
        defer { statement.reset() }
        var rows: [PhoneOptOut] = []
        while try statement.step() {
            rows.append(
                PhoneOptOut(phone: statement.string(0), keyword: statement.string(1), changedTs: statement.int64(2)))
        }
        return rows
    }
}
