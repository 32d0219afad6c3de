import CSQLite

/// A connection to one SQLite file. Not thread-safe: one owner at a time
/// (the pipeline's writer, or a CLI command).
public final class SQLiteDatabase {
    let handle: OpaquePointer
    public let path: String
    private var statements: [String: SQLiteStatement] = [:]

    /// How long a statement waits for another connection's lock.
    public static let busyTimeoutMs = 5000

    /// `immutable` opens a read-only file on a medium nothing writes (a copied
    /// SD card, a read-only mount) without the write-ahead log's files.
    public init(path: String, readOnly: Bool = false, immutable: Bool = false) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let flags =
            readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc =
            immutable
            ? sqlite3_open_v2(DatabasePath.immutableURI(path), &db, flags | SQLITE_OPEN_URI, nil)
            : sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, sql: nil, path: path)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // A running daemon and a CLI command (picket report, picket events) share
        // the file: wait for the other's transaction instead of failing at once.
        sqlite3_busy_timeout(db, Int32(Self.busyTimeoutMs))
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ code: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), sql: sql, path: path)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: rc, message: text, sql: sql, path: path)
        }
    }

    /// A prepared statement, cached by its text.
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try SQLiteStatement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back
    /// when it throws. Inside an open transaction it nests as a savepoint.
    public func transaction<R>(_ body: () throws -> R) throws -> R {
        let nested = !isAutocommit
        try execute(nested ? "SAVEPOINT picket" : "BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute(nested ? "RELEASE picket" : "COMMIT")
            return result
        } catch {
            try? execute(nested ? "ROLLBACK TO picket; RELEASE picket" : "ROLLBACK")
            throw error
        }
    }

    /// False while a transaction is open.
    public var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    public var userVersion: Int {
        get throws(SQLiteError) {
            let s = try statement("PRAGMA user_version")
            // Reset, or the cached statement holds a read snapshot open, and a
            // later write on this connection fails with SQLITE_BUSY_SNAPSHOT
            // once another connection (the sender, `picket report`) has written.
            defer { s.reset() }
            return try s.step() ? s.int(0) : 0
        }
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
}

/// One prepared statement. Bind with 1-based indices, step, read with 0-based columns.
public final class SQLiteStatement {
    let statement: OpaquePointer
    unowned let database: SQLiteDatabase
    let sql: String

    init(database: SQLiteDatabase, sql: String) throws(SQLiteError) {
        var s: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil)
        guard rc == SQLITE_OK, let s else { throw database.error(rc, sql: sql) }
        statement = s
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(statement)
        rowText?.deallocate()
    }

    public func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        // No binding points into the row buffer any more: it can be refilled.
        rowTextUsed = 0
    }

    /// The text of the row being bound with `bindRowText`, made on first use.
    private var rowText: UnsafeMutableRawBufferPointer?
    private var rowTextUsed = 0
    static let rowTextCapacity = 4096

    /// Binds text the way `bind(_:_:)` does, but copied into the statement's
    /// own row buffer, which SQLite then reads in place (SQLITE_STATIC)
    /// instead of allocating a copy of each value (SQLITE_TRANSIENT): the
    /// batch inserts bind a dozen texts per row. The buffer is only refilled
    /// after `reset()`, which clears every binding, so no binding ever
    /// points at bytes that changed; `run()` alone keeps the buffer, as it
    /// keeps the bindings. A value that does not fit is bound with a copy.
    public func bindRowText(_ index: Int32, _ value: String?) {
        guard let value else {
            sqlite3_bind_null(statement, index)
            return
        }
        let count = value.utf8.count
        if rowText == nil {
            rowText = .allocate(byteCount: Self.rowTextCapacity, alignment: 1)
        }
        guard let buffer = rowText, let base = buffer.baseAddress, count <= buffer.count - rowTextUsed else {
            return bind(index, value)
        }
        let target = UnsafeMutableRawBufferPointer(start: base + rowTextUsed, count: count)
        if value.utf8.withContiguousStorageIfAvailable({ target.copyMemory(from: UnsafeRawBufferPointer($0)) }) == nil {
            var value = value
            value.withUTF8 { target.copyMemory(from: UnsafeRawBufferPointer($0)) }
        }
        rowTextUsed += count
        picket_sqlite3_bind_text_static(
            statement, index, (base + rowTextUsed - count).assumingMemoryBound(to: CChar.self), Int32(count))
    }

    public func bind(_ index: Int32, _ value: String?) {
        if let value {
            var value = value
            value.withUTF8 { buffer in
                _ = buffer.withMemoryRebound(to: CChar.self) {
                    picket_sqlite3_bind_text_transient(statement, index, $0.baseAddress, Int32($0.count))
                }
            }
        } else {
            sqlite3_bind_null(statement, index)
        }
    }

    public func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    public func bind(_ index: Int32, _ value: Int?) { bind(index, value.map(Int64.init)) }

    public func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(statement, index, value) } else { sqlite3_bind_null(statement, index) }
    }

    /// Steps once: true when a row is ready, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(rc, sql: sql)
        }
    }

    /// Steps to completion, for statements that return no rows.
    public func run() throws(SQLiteError) {
        while try step() {}
        sqlite3_reset(statement)
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(statement, column)) }
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }
    public func optionalInt(_ column: Int32) -> Int? { isNull(column) ? nil : int(column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
    public func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }

    public func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    public func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }
}
