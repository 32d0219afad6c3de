import PostgresNIO

/// The fleet page's sessions and failed logins in PostgreSQL (migration 2),
/// with the same semantics as `SQLiteSectorStore+Sessions`.
extension PostgresSectorStore {
    public func createSession(_ session: OperatorSession) async throws {
        try await withConnection("keep a session of operator \(session.operatorName)") { connection in
            try await self.rows(
                """
                INSERT INTO operator_sessions (id, operator, csrf_token, created_ts, expires_ts)
                VALUES (\(session.id), \(session.operatorName), \(session.csrfToken), \(session.createdTs),
                    \(session.expiresTs))
                """, on: connection)
        }
    }

    public func session(id: String, at ts: Int64) async throws -> OperatorSession? {
        try await withConnection("read a session") { connection in
            try await self.rows(
                """
                SELECT id, operator, csrf_token, created_ts, expires_ts FROM operator_sessions
                WHERE id = \(id) AND expires_ts > \(ts)
                """, on: connection
            ).first.map { row in
                let (id, name, csrf, created, expires) = try row.decode((String, String, String, Int64, Int64).self)
                return OperatorSession(
                    id: id, operatorName: name, csrfToken: csrf, createdTs: created, expiresTs: expires)
            }
        }
    }

    public func deleteSession(id: String, at ts: Int64) async throws {
        try await withTransaction("end a session") { connection in
            try await self.rows("DELETE FROM operator_sessions WHERE id = \(id)", on: connection)
            try await self.rows("DELETE FROM operator_sessions WHERE expires_ts <= \(ts)", on: connection)
        }
    }

    public func noteLoginFailure(keys: [String], at ts: Int64, forgetBefore: Int64) async throws {
        try await withTransaction("count a failed login") { connection in
            try await self.rows("DELETE FROM login_failures WHERE ts < \(forgetBefore)", on: connection)
            for key in keys {
                try await self.rows("INSERT INTO login_failures (key, ts) VALUES (\(key), \(ts))", on: connection)
            }
        }
    }

    public func loginFailures(key: String, since: Int64) async throws -> [Int64] {
        try await withConnection("read failed logins") { connection in
            try await self.rows(
                "SELECT ts FROM login_failures WHERE key = \(key) AND ts >= \(since) ORDER BY ts LIMIT 1000",
                on: connection
            ).map { try $0.decode(Int64.self) }
        }
    }
}
