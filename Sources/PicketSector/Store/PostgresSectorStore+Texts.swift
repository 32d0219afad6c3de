import PostgresNIO

/// The hotline's outbound texts (`SectorTextStore`) in the tables of migration 6.
extension PostgresSectorStore {
    public func noteTexted(phone: String, alertIDs: [String], at ts: Int64) async throws {
        guard !alertIDs.isEmpty else { return }
        // A digest's alerts in their order: the last is the latest.
        let times = alertIDs.indices.map { ts + Int64($0) }
        try await withConnection("note the texts to \(phone)") { connection in
            try await self.rows(
                """
                INSERT INTO sms_texted (phone, alert_id, texted_ts)
                SELECT \(phone), id, t FROM unnest(\(alertIDs)::text[], \(times)::bigint[]) AS u(id, t)
                ON CONFLICT (phone, alert_id) DO UPDATE
                    SET texted_ts = greatest(sms_texted.texted_ts, excluded.texted_ts)
                """, on: connection)
        }
    }

    public func latestTextedAlert(phone: String, since: Int64) async throws -> String? {
        try await withConnection("read the texts to \(phone)") { connection in
            try await self.rows(
                """
                SELECT alert_id FROM sms_texted WHERE phone = \(phone) AND texted_ts >= \(since)
                ORDER BY texted_ts DESC, alert_id DESC LIMIT 1
                """, on: connection
            ).first?.decode(String.self)
        }
    }
}
