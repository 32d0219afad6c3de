import PicketStore

/// The fleet page's sessions and failed logins (`SectorStore`'s last
/// methods) in the tables of migration 2.
extension SQLiteSectorStore {
    public func createSession(_ session: OperatorSession) throws {
        let statement = try database.statement(
            "INSERT INTO operator_sessions (id, operator, csrf_token, created_ts, expires_ts) VALUES (?, ?, ?, ?, ?)")
        statement.bind(1, session.id)
        statement.bind(2, session.operatorName)
        statement.bind(3, session.csrfToken)
        statement.bind(4, session.createdTs)
        statement.bind(5, session.expiresTs)
        try statement.run()
    }

    public func session(id: String, at ts: Int64) throws -> OperatorSession? {
        let statement = try database.statement(
            """
            SELECT id, operator, csrf_token, created_ts, expires_ts FROM operator_sessions
            WHERE id = ? AND expires_ts > ?
            """)
        defer { statement.reset() }
        statement.bind(1, id)
        statement.bind(2, ts)
        guard try statement.step() else { return nil }
        return OperatorSession(
            id: statement.string(0), operatorName: statement.string(1), csrfToken: statement.string(2),
            createdTs: statement.int64(3), expiresTs: statement.int64(4))
    }

    public func deleteSession(id: String, at ts: Int64) throws {
        try database.transaction {
            let one = try database.statement("DELETE FROM operator_sessions WHERE id = ?")
            one.bind(1, id)
            try one.run()
            let expired = try database.statement("DELETE FROM operator_sessions WHERE expires_ts <= ?")
            expired.bind(1, ts)
            try expired.run()
        }
    }

    public func noteLoginFailure(keys: [String], at ts: Int64, forgetBefore: Int64) throws {
        try database.transaction {
            let forget = try database.statement("DELETE FROM login_failures WHERE ts < ?")
            forget.bind(1, forgetBefore)
            try forget.run()
            for key in keys {
                let insert = try database.statement("INSERT INTO login_failures (key, ts) VALUES (?, ?)")
                insert.bind(1, key)
                insert.bind(2, ts)
                try insert.run()
            }
        }
    }

    public func loginFailures(key: String, since: Int64) throws -> [Int64] {
        let statement = try database.statement(
            "SELECT ts FROM login_failures WHERE key = ? AND ts >= ? ORDER BY ts LIMIT 1000")
        defer { statement.reset() }
        statement.bind(1, key)
        statement.bind(2, since)
        var times: [Int64] = []
        while try statement.step() { times.append(statement.int64(0)) }
        return times
    }
}
