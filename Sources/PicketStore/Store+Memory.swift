import CSQLite

extension Store {
    /// Gives back the memory SQLite's page cache holds for this connection
    /// (it grows through a storm or a long query and would stay); the next
    /// reads fill it again from the file system's cache. Returns the bytes freed.
    @discardableResult
    public func releaseMemory() -> Int {
        Int(sqlite3_db_release_memory(database.handle))
    }
}
