import CSQLite

/// A failed SQLite call, with what was being done and where, so the message
/// a technician reads names the database file and the statement.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var sql: String?
    public var path: String

    public var description: String {
        var text = "\(path): SQLite error \(code) (\(String(cString: sqlite3_errstr(code)))): \(message)"
        if let sql { text += " [in: \(sql.prefix(120))]" }
        return text
    }

    /// Whether the failure is the disk or the file rather than a bug.
    public var isIOError: Bool {
        let primary = code & 0xFF
        return primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN
            || primary == SQLITE_READONLY || primary == SQLITE_PERM || primary == SQLITE_BUSY
            || primary == SQLITE_LOCKED || primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT
    }
}
