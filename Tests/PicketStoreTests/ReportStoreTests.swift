import Foundation
import PicketCore
import PicketStore
import Testing

/// The inbox of hotline reports and the box's recorded identity, on a real
/// file in a temporary directory per test.
@Suite("Store reports")
final class ReportStoreTests: Sendable {
    static let s: Int64 = 1_000_000_000
    static let t0: Int64 = 1_780_629_120 * s

    let database: TemporaryDatabase
    var directory: URL { database.directory }
    var path: String { database.path }

    init() throws {
        database = try TemporaryDatabase("picket-report-store-tests")
    }

    static func report(at offset: Int64, note: String? = "two people at the gate") -> Event {
        Report.event(
            box: "swanton-07", sector: "swanton", zone: "north-fork", detectionClass: .foot, note: note,
            ts: t0 + offset, position: Position(lat: 44.99, lon: -73.11))
    }

    @Test("a report is stored once, as its event and an untaken inbox row")
    func storeOnce() throws {
        let store = try Store(path: path)
        let report = Self.report(at: 1 * Self.s)
        #expect(try store.storeReport(report))
        #expect(try !store.storeReport(report))
        #expect(try store.events() == [report])
        #expect(
            try store.reports() == [
                StoredReport(
                    id: report.id, zone: "north-fork", detectionClass: "FOOT", note: "two people at the gate",
                    ts: report.ts)
            ])
        #expect(try store.untakenReports() == [report])
    }

    @Test("a batch that carries a report's event marks it taken, and stores the event no second time")
    func takenInTheBatch() throws {
        let store = try Store(path: path)
        let first = Self.report(at: 2 * Self.s, note: "first")
        let second = Self.report(at: 1 * Self.s, note: "second")
        try store.storeReport(first)
        try store.storeReport(second)
        #expect(try store.untakenReports() == [second, first])
        try store.beginRun(id: "live:1", mode: "live", startedTs: Self.t0, input: nil, sensors: [])
        var batch = StoreBatch(events: [second])
        batch.takenReports = [second.id]
        try store.write(batch, run: "live:1", now: Self.t0 + 5 * Self.s)
        #expect(try store.untakenReports() == [first])
        #expect(try store.count("events") == 2)
        let taken = try #require(try store.reports().first { $0.id == second.id })
        #expect(taken.takenTs == Self.t0 + 5 * Self.s)
        #expect(taken.takenRun == "live:1")
    }

    @Test("the daemon mark: this process while marked, nobody once cleared or when the pid is another process")
    func daemonMark() throws {
        let store = try Store(path: path)
        #expect(try !store.isDaemonRunning())
        try store.markDaemonRunning()
        #expect(try store.isDaemonRunning())
        try store.clearDaemonMark()
        #expect(try !store.isDaemonRunning())
        // A mark left by a process that is gone (pid 1 runs, but started at another time).
        try store.database.execute("INSERT INTO box (key, value) VALUES ('daemon', '1 999999999999')")
        #expect(try !store.isDaemonRunning())
    }

    @Test("identity: what the last run recorded, else the latest event's box and sector, else nothing")
    func identity() throws {
        let store = try Store(path: path)
        #expect(try store.identity() == nil)
        try store.storeReport(Self.report(at: 0))
        #expect(try store.identity() == BoxIdentity(box: "swanton-07", sector: "swanton", origin: .event))
        try store.recordIdentity(box: "sim-01", sector: "simulated", site: Position(lat: 44.9925, lon: -73.1098))
        #expect(
            try store.identity()
                == BoxIdentity(
                    box: "sim-01", sector: "simulated", site: Position(lat: 44.9925, lon: -73.1098), origin: .run))
        try store.recordIdentity(box: "sim-02", sector: "simulated", site: nil)
        #expect(try store.identity() == BoxIdentity(box: "sim-02", sector: "simulated", origin: .run))
    }

    @Test("a database of schema 3 migrates to the inbox, keeping its events")
    func migratesFromSchema3() throws {
        do {
            let store = try Store(path: path)
            // Back to schema 3: without what migrations 4 and 5 added.
            try store.database.execute(
                "DROP TABLE reports; ALTER TABLE events DROP COLUMN reported_ts; "
                    + "ALTER TABLE events DROP COLUMN clock_synced; PRAGMA user_version = 3")
        }
        let store = try Store(path: path)
        #expect(try store.database.userVersion == Store.schemaVersion)
        #expect(try store.storeReport(Self.report(at: 0)))
    }
}

/// Migration 5 on a database of schema 4 with messages in its outbox: they
/// stay, and the outbox is keyed by (id, destination).
@Suite struct OutboxMigrationTests {
    @Test func aSchema4OutboxKeepsItsMessages() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("picket-outbox-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("picket.db").path
        do {
            let store = try Store(path: path)
            // Schema 4's outbox: `id` unique on its own.
            try store.database.execute(
                """
                DROP TABLE deliveries;
                CREATE TABLE deliveries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, destination TEXT NOT NULL,
                    alerts TEXT NOT NULL, body TEXT, state TEXT NOT NULL DEFAULT 'pending',
                    severity_rank INTEGER NOT NULL, created_ts INTEGER NOT NULL, queued_ts INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ts INTEGER NOT NULL DEFAULT 0,
                    last_attempt_ts INTEGER, last_status INTEGER, last_response TEXT, delivered_ts INTEGER);
                INSERT INTO deliveries (id, destination, alerts, state, severity_rank, created_ts, queued_ts)
                    VALUES ('a-1', 'sector', '["a-1"]', 'dead', 3, 1, 2);
                DROP INDEX reports_sector_id; ALTER TABLE reports DROP COLUMN sector_id;
                ALTER TABLE reports DROP COLUMN reported_ts;
                ALTER TABLE reports DROP COLUMN listed_status; ALTER TABLE events DROP COLUMN reported_ts;
                ALTER TABLE events DROP COLUMN clock_synced;
                PRAGMA user_version = 4;
                """)
        }
        let store = try Store(path: path)
        #expect(try store.database.userVersion == Store.schemaVersion)
        #expect(try store.deliveries().map(\.id) == ["a-1"])
        #expect(try store.deliveries().first?.state == .dead)
        // The same id for another destination is another message.
        try store.queueReplacing(
            OutboxEntry(id: "a-1", destination: "elsewhere", alerts: ["a-1"], severityRank: 3, createdTs: 1), now: 3)
        #expect(try store.deliveries().map(\.destination) == ["sector", "elsewhere"])
        try store.markDead("a-1", destination: "elsewhere", status: 400, response: "no")
        #expect(try store.deliveries(states: [.pending]).isEmpty)
    }
}
