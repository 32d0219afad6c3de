import Logging
import PicketCore
import PicketStore
import ServiceLifecycle

/// Keeps the database inside `storage.retain_days` and `storage.max_mb`
/// (PRODUCT.md section 9) while the daemon runs.
///
/// It prunes at start and then every `intervalNs`; with `max_mb` it also
/// looks at the file's size every `checkNs` and prunes at once when it is
/// over. Between those it sleeps, so an idle box wakes a few times an hour.
/// It has a database connection of its own and deletes in small
/// transactions with a pause between them, so the hot path's commits on
/// the other connection never wait long for the lock. Replays never run
/// it: a replay of an old recording keeps its events.
public final class RetentionService: Service, Sendable {
    public struct Timing: Sendable {
        /// Between two passes.
        public var intervalNs: Int64 = 3_600_000_000_000
        /// How often the size is looked at when `max_mb` is set.
        public var checkNs: Int64 = 300_000_000_000
        /// Between two transactions of a pass.
        public var pauseNs: Int64 = 20_000_000
        /// A database created without incremental vacuum is rewritten at
        /// start (blocking writers meanwhile) only when its data is at most
        /// this large; else the operator is told how to do it offline.
        public var convertLimitBytes: Int64 = 16 * 1_048_576

        public init() {}
    }

    let settings: PruneSettings
    let databasePath: String
    let keepRun: String?
    let logger: Logger
    let clock: any PicketClock
    let timing: Timing

    /// - Parameter keepRun: the daemon's current run, whose counters stay.
    /// - Parameter clock: stored times are the wall clock's, so their age
    ///   is measured on its `wallNs()`; passes are scheduled on its
    ///   monotonic time.
    public init(
        retention: RetentionSettings, databasePath: String, keepRun: String?, logger: Logger,
        clock: any PicketClock, timing: Timing = Timing()
    ) {
        settings = PruneSettings(retention)
        self.databasePath = databasePath
        self.keepRun = keepRun
        self.logger = logger
        self.clock = clock
        self.timing = timing
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    /// Passes are scheduled on the monotonic clock, so a step of the wall
    /// clock neither stalls nor hurries them; the horizon of each pass is
    /// the clock's wall time.
    private func loop() async {
        var store: Store?
        var nextPass = clock.monotonicNs()
        var converted = false
        var toldUnreachable = false
        while !Task.isCancelled {
            var failed = false
            do {
                let open = try store ?? Self.open(databasePath)
                store = open
                let over = try settings.maxBytes.map { try open.storageSize().budgetBytes > $0 } ?? false
                if clock.monotonicNs() >= nextPass || over {
                    let report = try await pass(open)
                    nextPass = clock.monotonicNs() + timing.intervalNs
                    if report.budgetUnreachable {
                        if !toldUnreachable {
                            logger.warning(
                                "database over storage.max_mb, but only rows of unfinished deliveries are left",
                                metadata: [
                                    "db": "\(databasePath)", "bytes": "\(report.bytesAfter)",
                                    "max_mb": "\(settings.maxBytes.map { $0 / 1_048_576 } ?? 0)",
                                ])
                        }
                        toldUnreachable = true
                    } else if report.completed {
                        toldUnreachable = false
                    }
                    if !converted && report.completed {
                        converted = true
                        try convertIfSmall(open)
                    }
                }
            } catch {
                failed = true
                logger.error("pruning failed, trying again later", metadata: ["error": "\(error)"])
            }
            var wake = nextPass
            if settings.maxBytes != nil || failed { wake = min(wake, clock.monotonicNs() + timing.checkNs) }
            try? await clock.sleep(untilMonotonic: max(wake, clock.monotonicNs() + 10_000_000))
        }
    }

    static func open(_ path: String) throws -> Store {
        let store = try Store(path: path)
        try store.relaxDurabilityForPruning()
        return store
    }

    /// One pass, logged when it deleted anything.
    private func pass(_ store: Store) async throws -> PruneReport {
        let report = try await store.prune(now: clock.wallNs(), settings: settings, keepRun: keepRun) {
            try? await self.clock.sleep(forNs: self.timing.pauseNs)
            return !Task.isCancelled
        }
        if report.total > 0 {
            var metadata: Logger.Metadata = [
                "bytes_before": "\(report.bytesBefore)", "bytes_after": "\(report.bytesAfter)",
                "retain_days": "\(settings.retainNs / 86_400_000_000_000)",
            ]
            for (table, rows) in report.deleted where rows > 0 { metadata[table] = "\(rows)" }
            logger.info("pruned old rows", metadata: metadata)
        }
        return report
    }

    /// A database from before retention cannot give space back until it is
    /// rewritten once: done now when small, else the operator is told.
    private func convertIfSmall(_ store: Store) throws {
        let size = try store.storageSize()
        guard !size.incrementalVacuum else { return }
        guard size.budgetBytes <= timing.convertLimitBytes else {
            logger.notice(
                """
                database created without incremental vacuum: pruned space is reused but the file does not \
                shrink; to make it shrink, stop picket and run once: \
                sqlite3 \(databasePath) 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM'
                """, metadata: ["bytes": "\(size.onDiskBytes)"])
            return
        }
        try store.convertToIncrementalVacuum()
        store.checkpoint()
        let after = try store.storageSize()
        logger.notice(
            "database rewritten to give pruned space back (incremental vacuum)",
            metadata: ["bytes_before": "\(size.onDiskBytes)", "bytes_after": "\(after.onDiskBytes)"])
    }
}
