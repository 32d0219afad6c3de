import Foundation
import PicketCore
import PicketDaemon
import PicketStore
import PicketTestSupport
import Synchronization
import Testing

/// The daemon's retention service, in process, on a clock the test moves:
/// the horizon of each pass is the injected clock's, a pass that deleted
/// something logs one line, and one that deleted nothing logs nothing.
@Suite struct RetentionServiceTests {
    /// Whether `condition` holds; when not, and the service sleeps, moves
    /// the clock to its wake-up (the next pass, or a pause between batches).
    static func pumping(_ clock: ManualClock, _ condition: () throws -> Bool) rethrows -> Bool {
        if try condition() { return true }
        clock.advanceToNextDeadline()
        return false
    }

    static let day: Int64 = 86_400_000_000_000
    /// 2031-01-01: far from the machine's clock, so only the injected one can matter.
    static let start: Int64 = 1_924_992_000_000_000_000

    static func event(_ id: String, at ts: Int64) -> Event {
        Event(
            id: id, box: "b", sector: "s", sensor: "seis-7", kind: .seismic, zone: "z", source: .serial,
            state: .active, ts: ts, episode: id)
    }

    @Test func passesFollowTheInjectedClock() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("r.db").path
        let events = [
            Self.event("old", at: Self.start - 100 * Self.day), Self.event("mid", at: Self.start - 50 * Self.day),
            Self.event("young", at: Self.start - Self.day),
        ]
        try Store(path: db).write(StoreBatch(events: events), run: "r", now: Self.start)

        let clock = ManualClock(wallNs: Self.start)
        let log = CapturedLog()
        var timing = RetentionService.Timing()
        timing.intervalNs = 200_000_000
        timing.pauseNs = 1_000_000
        let service = RetentionService(
            retention: RetentionSettings(retainDays: 90), databasePath: db, keepRun: nil, logger: log.logger,
            clock: clock, timing: timing)
        let running = Task { try await service.run() }
        defer { running.cancel() }

        let ids = { try Store(path: db, create: false).events().map(\.id) }
        try await eventually("the event older than 90 days pruned") {
            try Self.pumping(clock) { try ids() == ["mid", "young"] }
        }
        // Several more passes with nothing to do: nothing deleted, nothing logged.
        let later = clock.monotonicNs() + 5 * timing.intervalNs
        try await eventually("five more passes") { Self.pumping(clock) { clock.monotonicNs() >= later } }
        #expect(try ids() == ["mid", "young"])
        #expect(log.all.filter { $0.message == "pruned old rows" }.count == 1)

        // 45 days later by the daemon's clock, the middle one is old too.
        clock.advance(by: 45 * Self.day)
        try await eventually("the event now older than 90 days pruned") {
            try Self.pumping(clock) { try ids() == ["young"] }
        }
        running.cancel()
        try await running.value
        #expect(log.all.filter { $0.message == "pruned old rows" }.count == 2)
        #expect(log.count(.error) == 0, "\(log.all.map(\.message))")
    }

    /// A database from before retention (no incremental vacuum) is
    /// rewritten at the first pass when small, keeping every row.
    @Test func aSmallLegacyDatabaseIsRewrittenAtStart() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("legacy.db").path
        try SQLiteDatabase(path: db).execute("PRAGMA journal_mode=WAL")
        let events = (0..<100).map { Self.event("e\($0)", at: Self.start - Int64($0) * 1_000_000_000) }
        do {
            let store = try Store(path: db)
            try store.write(StoreBatch(events: events), run: "r", now: Self.start)
            #expect(try !store.storageSize().incrementalVacuum)
        }
        let log = CapturedLog()
        let clock = ManualClock(wallNs: Self.start)
        let service = RetentionService(
            retention: RetentionSettings(), databasePath: db, keepRun: nil, logger: log.logger, clock: clock)
        let running = Task { try await service.run() }
        try await eventually("the rewrite logged") {
            Self.pumping(clock) { log.all.contains { $0.message.hasPrefix("database rewritten") } }
        }
        running.cancel()
        try await running.value
        let store = try Store(path: db, create: false)
        #expect(try store.storageSize().incrementalVacuum)
        #expect(try store.count("events") == 100)
    }
}
