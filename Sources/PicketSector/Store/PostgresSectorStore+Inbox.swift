import PostgresNIO

/// The hotline's inbound texts and reports (`SectorInboxStore`) in the tables of migration 5.
extension PostgresSectorStore {
    private static let inboundColumns =
        "message_sid, from_phone, to_phone, body, received_ts, kind, subscriber, reply"

    private static func text(_ row: PostgresRow) throws -> InboundText {
        let (sid, from, to, body, received, kind, subscriber, reply) = try row.decode(
            (String, String, String, String, Int64, String, String?, String).self)
        return InboundText(
            messageSid: sid, from: from, to: to, body: body, receivedTs: received,
            kind: InboundText.Kind(rawValue: kind) ?? .unknown, subscriber: subscriber, reply: reply)
    }

    private static let reportColumns = "id, zone, box, class, note, ts, from_phone, subscriber, message_sid"

    private static func report(_ row: PostgresRow) throws -> SectorReport {
        let (id, zone, box, detectionClass, note, ts, from, subscriber, sid) = try row.decode(
            (String, String, String?, String, String, Int64, String, String?, String).self)
        return SectorReport(
            id: id, zone: zone, box: box, detectionClass: detectionClass, note: note, ts: ts, from: from,
            subscriber: subscriber, messageSid: sid)
    }

    public func inboundText(messageSid: String) async throws -> InboundText? {
        var binds = PostgresBindings()
        binds.append(messageSid)
        let query = PostgresQuery(
            unsafeSQL: "SELECT \(Self.inboundColumns) FROM sms_inbound WHERE message_sid = $1", binds: binds)
        return try await withConnection("read the text \(messageSid)") { connection in
            try await self.rows(query, on: connection).first.map(Self.text)
        }
    }

    public func recordInbound(_ text: InboundText, report: SectorReport?) async throws -> StoreOutcome {
        try await withTransaction("record the text \(text.messageSid) from \(text.from)") { connection in
            let inserted = try await self.rows(
                """
                INSERT INTO sms_inbound (message_sid, from_phone, to_phone, body, received_ts, kind, subscriber, reply)
                VALUES (\(text.messageSid), \(text.from), \(text.to), \(text.body), \(text.receivedTs),
                    \(text.kind.rawValue), \(text.subscriber), \(text.reply))
                ON CONFLICT (message_sid) DO NOTHING
                RETURNING message_sid
                """, on: connection)
            guard !inserted.isEmpty else { return .duplicate }
            if let report {
                try await self.rows(
                    """
                    INSERT INTO sector_reports (id, zone, box, class, note, ts, from_phone, subscriber, message_sid)
                    VALUES (\(report.id), \(report.zone), \(report.box), \(report.detectionClass), \(report.note),
                        \(report.ts), \(report.from), \(report.subscriber), \(report.messageSid))
                    """, on: connection)
            }
            return .stored
        }
    }

    public func inboundTexts(limit: Int) async throws -> [InboundText] {
        var binds = PostgresBindings()
        binds.append(Int64(limit))
        let query = PostgresQuery(
            unsafeSQL:
                "SELECT \(Self.inboundColumns) FROM sms_inbound ORDER BY received_ts DESC, message_sid DESC LIMIT $1",
            binds: binds)
        return try await withConnection("list the texts") { connection in
            try await self.rows(query, on: connection).map(Self.text)
        }
    }

    public func reports(since: Int64?, limit: Int) async throws -> [SectorReport] {
        var binds = PostgresBindings()
        binds.append(since ?? Int64.min)
        binds.append(Int64(limit))
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(Self.reportColumns),
                    (SELECT string_agg(t.box, ',' ORDER BY t.box) FROM sector_report_takes t WHERE t.report_id = r.id)
                FROM sector_reports r WHERE ts >= $1 ORDER BY ts DESC, seq DESC LIMIT $2
                """, binds: binds)
        return try await withConnection("list the reports") { connection in
            try await self.rows(query, on: connection).map { row in
                let (id, zone, box, detectionClass, note, ts, from, subscriber, sid, takers) = try row.decode(
                    (String, String, String?, String, String, Int64, String, String?, String, String?).self)
                return SectorReport(
                    id: id, zone: zone, box: box, detectionClass: detectionClass, note: note, ts: ts, from: from,
                    subscriber: subscriber, messageSid: sid,
                    takenBy: takers.map { $0.split(separator: ",").map(String.init) } ?? [])
            }
        }
    }

    public func takeReports(box: String, taken: [String], zones: [String], since: Int64, limit: Int, at ts: Int64)
        async throws -> [SectorReport]
    {
        let ids = Array(Set(taken))
        var binds = PostgresBindings()
        binds.append(since)
        binds.append(zones)
        binds.append(box)
        binds.append(Int64(limit))
        let select = PostgresQuery(
            unsafeSQL: """
                SELECT \(Self.reportColumns) FROM sector_reports r
                WHERE ts >= $1 AND zone = ANY($2::text[]) AND (box IS NULL OR box = $3)
                    AND NOT EXISTS (SELECT 1 FROM sector_report_takes t WHERE t.report_id = r.id AND t.box = $3)
                ORDER BY ts, seq LIMIT $4
                """, binds: binds)
        return try await withTransaction("hand reports to box \(box)") { connection in
            if !ids.isEmpty {
                try await self.rows(
                    """
                    INSERT INTO sector_report_takes (report_id, box, taken_ts)
                    SELECT id, \(box), \(ts) FROM sector_reports WHERE id = ANY(\(ids)::text[])
                    ON CONFLICT (report_id, box) DO NOTHING
                    """, on: connection)
            }
            guard !zones.isEmpty else { return [] }
            return try await self.rows(select, on: connection).map(Self.report)
        }
    }

    public func optedOutPhones() async throws -> [PhoneOptOut] {
        try await withConnection("list the opted-out phones") { connection in
            try await self.rows(
                "SELECT phone, keyword, changed_ts FROM phone_opt_outs WHERE opted_out ORDER BY changed_ts DESC, phone",
                on: connection
            ).map { row in
                let (phone, keyword, changed) = try row.decode((String, String, Int64).self)
                return PhoneOptOut(phone: phone, keyword: keyword, changedTs: changed)
            }
        }
    }
}
