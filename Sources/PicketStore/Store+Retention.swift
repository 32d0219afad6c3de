import CSQLite
import Foundation
import PicketCore

#if canImport(Glibc)
    import Glibc
#endif

/// How a pruning pass works: the retention window, the size budget and the
/// size of each step, small enough that the hot path's writer on another
/// connection never waits long for the lock.
public struct PruneSettings: Sendable, Equatable {
    /// Rows older than this (nanoseconds before `now`) are pruned.
    public var retainNs: Int64
    /// When set, the file and its WAL are kept under this many bytes.
    public var maxBytes: Int64?
    /// Rows deleted per transaction.
    public var batchRows = 500
    /// Free pages given back to the file system per transaction.
    public var vacuumPages = 128
    /// Events taken per step when pruning inside the window to meet `maxBytes`.
    public var budgetStepRows = 2000

    public init(retainNs: Int64, maxBytes: Int64? = nil) {
        self.retainNs = retainNs
        self.maxBytes = maxBytes
    }

    public init(_ retention: RetentionSettings) {
        self.init(retainNs: retention.retainNs, maxBytes: retention.maxBytes)
    }
}

/// The database's size on disk and inside.
public struct StorageSize: Sendable, Equatable {
    /// The database file and its WAL, in bytes.
    public var fileBytes: Int64
    public var walBytes: Int64
    public var pageSize: Int64
    public var pageCount: Int64
    public var freePages: Int64
    /// `PRAGMA auto_vacuum = INCREMENTAL`: freed pages can be given back.
    public var incrementalVacuum: Bool

    public var onDiskBytes: Int64 { fileBytes + walBytes }
    /// What the data takes: the pages in use plus the WAL. Measured against
    /// `max_mb`; pruning more cannot help once only the WAL is over.
    public var budgetBytes: Int64 { (pageCount - freePages) * pageSize + walBytes }
}

/// What one pruning pass did.
public struct PruneReport: Sendable, Equatable {
    /// Rows deleted, by table.
    public var deleted: [String: Int] = [:]
    public var bytesBefore: Int64 = 0
    public var bytesAfter: Int64 = 0
    /// Over `max_mb` at the end with nothing left that may be pruned: only
    /// rows of unfinished deliveries (and the events they name) remain.
    public var budgetUnreachable = false
    /// False when the pass was stopped (shutdown) before it finished.
    public var completed = true

    public init() {}

    public var total: Int { deleted.values.reduce(0, +) }
}

/// Retention (PRODUCT.md section 9, `storage.retain_days` and
/// `storage.max_mb`): old rows are deleted oldest first in small
/// transactions, and the file gives the space back (incremental vacuum).
///
/// An alert whose delivery is not finished (pending, in flight, or held
/// for a landowner's text) and the events it names are never pruned, and
/// neither is a hotline report no daemon has taken yet.
extension Store {
    /// Alerts that must stay: named by an unfinished delivery or held for a text.
    static var protectedAlerts: String {
        let unfinished = Delivery.State.allCases.filter { !$0.isFinished }.map { "'\($0.rawValue)'" }
        return """
            SELECT j.value FROM deliveries d, json_each(d.alerts) j WHERE d.state IN (\(unfinished.joined(separator: ",")))
            UNION SELECT alert FROM hotline_held
            """
    }

    /// Events that must stay: those of protected alerts, and untaken reports'.
    static var protectedEvents: String {
        """
        SELECT j.value FROM alerts a, json_each(a.events) j WHERE a.id IN (\(protectedAlerts))
        UNION SELECT id FROM reports WHERE taken_ts IS NULL
        """
    }

    static var finishedStates: String {
        Delivery.State.allCases.filter(\.isFinished).map { "'\($0.rawValue)'" }.joined(separator: ",")
    }

    /// One table's pruning: which rows may go (`condition`, with ?1 the
    /// horizon and ?2 the run to keep), oldest first by `order`, and what
    /// goes with them (`dependents`, run first, with ?3 the rowids).
    struct PruneTarget {
        let table: String
        let order: String
        let condition: String
        var dependents: [(table: String, sql: String)] = []
    }

    static var pruneTargets: [PruneTarget] {
        let runsInBatch =
            "SELECT run FROM runs WHERE rowid IN (SELECT value FROM json_each(?3)) AND updated_ts < ?1 AND run IS NOT ?2"
        return [
            // Finished messages first: they name the alerts below.
            PruneTarget(
                table: "deliveries", order: "rowid", condition: "state IN (\(finishedStates)) AND created_ts < ?1"),
            PruneTarget(
                table: "alerts", order: "first_ts",
                condition: "first_ts < ?1 AND last_ts < ?1 AND id NOT IN (\(protectedAlerts))"),
            PruneTarget(table: "events", order: "ts", condition: "ts < ?1 AND id NOT IN (\(protectedEvents))"),
            PruneTarget(table: "reports", order: "ts", condition: "taken_ts IS NOT NULL AND ts < ?1"),
            PruneTarget(
                table: "hotline_held", order: "held_ts",
                condition: "held_ts < ?1 AND NOT EXISTS (SELECT 1 FROM alerts WHERE alerts.id = hotline_held.alert)"),
            PruneTarget(
                table: "runs", order: "updated_ts", condition: "updated_ts < ?1 AND run IS NOT ?2",
                dependents: [
                    ("counters", "DELETE FROM counters WHERE run IN (\(runsInBatch))"),
                    ("sensor_counters", "DELETE FROM sensor_counters WHERE run IN (\(runsInBatch))"),
                ]),
        ]
    }

    /// Deletes at most `limit` rows older than `horizon` from the first
    /// table that has any, in one short transaction. The candidates are
    /// chosen outside the write lock and checked again under it. Returns
    /// the rows deleted by table, or nil when nothing older is left that
    /// may go.
    public func pruneBatch(before horizon: Int64, keepRun: String? = nil, limit: Int = 500) throws(StoreError)
        -> [String: Int]?
    {
        try wrap {
            for target in Self.pruneTargets {
                let select = try database.statement(
                    "SELECT rowid FROM \(target.table) WHERE \(target.condition) ORDER BY \(target.order) LIMIT ?3")
                select.bind(1, horizon)
                select.bind(2, keepRun)
                select.bind(3, limit)
                var rowids: [Int64] = []
                while try select.step() { rowids.append(select.int64(0)) }
                select.reset()
                guard !rowids.isEmpty else { continue }
                let list = "[" + rowids.map(String.init).joined(separator: ",") + "]"
                return try database.transaction { () throws -> [String: Int] in
                    var deleted: [String: Int] = [:]
                    for dependent in target.dependents {
                        try run(dependent.sql, horizon: horizon, keepRun: keepRun, list: list)
                        deleted[dependent.table, default: 0] += database.changes
                    }
                    try run(
                        "DELETE FROM \(target.table) WHERE rowid IN (SELECT value FROM json_each(?3)) AND \(target.condition)",
                        horizon: horizon, keepRun: keepRun, list: list)
                    deleted[target.table, default: 0] += database.changes
                    return deleted
                }
            }
            return nil
        }
    }

    private func run(_ sql: String, horizon: Int64, keepRun: String?, list: String) throws {
        let s = try database.statement(sql)
        s.bind(1, horizon)
        s.bind(2, keepRun)
        s.bind(3, list)
        try s.run()
    }

    /// The horizon of the next step when the database is over its size
    /// budget: just after the `step`-th oldest event that may be pruned (or
    /// the oldest alert, message, report or run when no such event is left).
    /// Nil when nothing may be pruned at all.
    public func budgetHorizon(step: Int, keepRun: String? = nil) throws(StoreError) -> Int64? {
        try wrap {
            let event = try optionalInt64(
                """
                SELECT ts FROM (SELECT ts FROM events WHERE id NOT IN (\(Self.protectedEvents)) ORDER BY ts LIMIT ?3)
                ORDER BY ts DESC LIMIT 1
                """, keepRun: keepRun, limit: step)
            if let event { return event + 1 }
            let others = try [
                "SELECT last_ts FROM alerts WHERE id NOT IN (\(Self.protectedAlerts)) ORDER BY first_ts LIMIT 1",
                "SELECT MIN(created_ts) FROM deliveries WHERE state IN (\(Self.finishedStates))",
                "SELECT MIN(ts) FROM reports WHERE taken_ts IS NOT NULL",
                "SELECT MIN(updated_ts) FROM runs WHERE run IS NOT ?2",
            ].compactMap { try optionalInt64($0, keepRun: keepRun, limit: step) }
            return others.min().map { $0 + 1 }
        }
    }

    private func optionalInt64(_ sql: String, keepRun: String?, limit: Int) throws -> Int64? {
        let s = try database.statement(sql)
        s.bind(2, keepRun)
        s.bind(3, limit)
        defer { s.reset() }
        return try s.step() ? s.optionalInt64(0) : nil
    }

    // MARK: - Giving the space back

    /// The file's size on disk, and its pages.
    public func storageSize() throws(StoreError) -> StorageSize {
        try wrap {
            func pragma(_ name: String) throws -> Int64 {
                let s = try database.statement("PRAGMA \(name)")
                defer { s.reset() }
                return try s.step() ? s.int64(0) : 0
            }
            return StorageSize(
                fileBytes: Self.fileSize(path), walBytes: Self.fileSize(path + "-wal"),
                pageSize: try pragma("page_size"), pageCount: try pragma("page_count"),
                freePages: try pragma("freelist_count"), incrementalVacuum: try pragma("auto_vacuum") == 2)
        }
    }

    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Gives up to `pages` free pages back to the file system, in one short
    /// transaction (a no-op for a database without incremental vacuum).
    /// Returns the free pages left.
    @discardableResult
    public func incrementalVacuum(pages: Int) throws(StoreError) -> Int64 {
        try wrap {
            try database.transaction { try database.execute("PRAGMA incremental_vacuum(\(max(1, pages)))") }
            let s = try database.statement("PRAGMA freelist_count")
            defer { s.reset() }
            return try s.step() ? s.int64(0) : 0
        }
    }

    /// Copies the WAL into the file and empties it, so that a file the
    /// vacuum shortened is short on disk too. Never waits for the hot
    /// path: the part that needs the write lock gives up at once when the
    /// lock is taken, and the next checkpoint finishes the job.
    public func checkpoint() {
        try? database.execute("PRAGMA wal_checkpoint(PASSIVE)")
        sqlite3_busy_timeout(database.handle, 0)
        try? database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sqlite3_busy_timeout(database.handle, Int32(SQLiteDatabase.busyTimeoutMs))
    }

    /// For the connection that prunes: its commits skip the fsync (in WAL
    /// mode the file stays consistent; a power cut only undoes deletions,
    /// which the next pass repeats), so it holds the write lock shorter.
    public func relaxDurabilityForPruning() throws(StoreError) {
        try wrap { try database.execute("PRAGMA synchronous=NORMAL") }
    }

    /// Rewrites a database created without incremental vacuum (by a Picket
    /// before retention) so that its file can shrink. Holds the write lock
    /// for as long as the rewrite takes: run it on a small file or with the
    /// daemon stopped.
    public func convertToIncrementalVacuum() throws(StoreError) {
        try wrap { try database.execute("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;") }
    }

    /// Whether `PRAGMA auto_vacuum = INCREMENTAL` can still be set: a file
    /// with no page yet (a brand-new database).
    static func isEmptyFile(_ database: SQLiteDatabase) throws(SQLiteError) -> Bool {
        let s = try database.statement("PRAGMA page_count")
        defer { s.reset() }
        return try s.step() ? s.int(0) == 0 : false
    }

    // MARK: - A whole pass

    /// Prunes everything older than the retention window, then (with
    /// `maxBytes`) oldest first inside it until the file fits, giving the
    /// space back as it goes. `pause` runs between transactions and returns
    /// false to stop the pass (shutdown).
    public func prune(
        now: Int64, settings: PruneSettings, keepRun: String? = nil, pause: () async -> Bool = { true }
    ) async throws(StoreError) -> PruneReport {
        var report = PruneReport()
        report.bytesBefore = try storageSize().onDiskBytes
        let completed = try await prune(now: now, settings: settings, keepRun: keepRun, pause: pause, into: &report)
        report.completed = completed
        report.bytesAfter = try storageSize().onDiskBytes
        return report
    }

    /// The steps of a pass; false when stopped.
    private func prune(
        now: Int64, settings: PruneSettings, keepRun: String?, pause: () async -> Bool, into report: inout PruneReport
    ) async throws(StoreError) -> Bool {
        /// Deletes everything older than `horizon` that may go; false when stopped.
        func deleteAll(before horizon: Int64, _ report: inout PruneReport) async throws(StoreError) -> Bool {
            while let deleted = try pruneBatch(before: horizon, keepRun: keepRun, limit: settings.batchRows) {
                report.deleted.merge(deleted, uniquingKeysWith: +)
                guard await pause() else { return false }
            }
            return true
        }

        /// Gives the free pages back; false when stopped. Writes nothing
        /// when there is nothing to give back.
        func vacuum() async throws(StoreError) -> Bool {
            let size = try storageSize()
            guard size.incrementalVacuum, size.freePages > 0 else { return true }
            while try incrementalVacuum(pages: settings.vacuumPages) > 0 {
                guard await pause() else { return false }
            }
            checkpoint()
            return true
        }

        guard try await deleteAll(before: now &- settings.retainNs, &report), try await vacuum() else { return false }
        guard let maxBytes = settings.maxBytes else { return true }
        var size = try storageSize()
        while size.budgetBytes > maxBytes {
            if size.budgetBytes - size.walBytes <= maxBytes {
                // Only the WAL is over (a reader kept the last checkpoint
                // from emptying it): pruning rows cannot shrink it, a
                // checkpoint can.
                checkpoint()
                return true
            }
            let before = report.total
            guard let horizon = try budgetHorizon(step: settings.budgetStepRows, keepRun: keepRun) else {
                report.budgetUnreachable = true
                return true
            }
            guard try await deleteAll(before: horizon, &report), try await vacuum() else { return false }
            // Also without incremental vacuum: the WAL counts against the budget.
            checkpoint()
            if report.total == before {
                report.budgetUnreachable = true
                return true
            }
            size = try storageSize()
        }
        return true
    }
}

extension Delivery.State {
    /// Delivered or on the dead-letter list: nothing more will happen to it.
    public var isFinished: Bool { self == .delivered || self == .dead }
}
