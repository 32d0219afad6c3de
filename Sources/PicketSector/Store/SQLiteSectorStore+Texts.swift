import PicketStore

/// The hotline's outbound texts (`SectorTextStore`) in the tables of migration 6.
extension SQLiteSectorStore {
    public func noteTexted(phone: String, alertIDs: [String], at ts: Int64) throws {
        try database.transaction {
            for (index, id) in alertIDs.enumerated() {
                let statement = try database.statement(
                    """
                    INSERT INTO sms_texted (phone, alert_id, texted_ts) VALUES (?, ?, ?)
                    ON CONFLICT (phone, alert_id) DO UPDATE SET texted_ts = max(texted_ts, excluded.texted_ts)
                    """)
                statement.bind(1, phone)
                statement.bind(2, id)
                // A digest's alerts in their order: the last is the latest.
                statement.bind(3, ts + Int64(index))
                try statement.run()
            }
        }
    }

    public func latestTextedAlert(phone: String, since: Int64) throws -> String? {
        let statement = try database.statement(
            """
            SELECT alert_id FROM sms_texted WHERE phone = ? AND texted_ts >= ?
            ORDER BY texted_ts DESC, alert_id DESC LIMIT 1
            """)
        defer { statement.reset() }
        statement.bind(1, phone)
        statement.bind(2, since)
        return try statement.step() ? statement.string(0) : nil
    }
}
