import Foundation
import PicketCore
import PicketStore
import Synchronization
import Testing

/// Retention (`storage.retain_days`, `storage.max_mb`) on real SQLite files:
/// what goes, what must stay, that the file shrinks, and that pruning goes in
/// small transactions beside a writer on another connection.
@Suite("Retention")
final class RetentionTests: Sendable {
    static let s: Int64 = 1_000_000_000
    static let day: Int64 = 86_400 * s
    static let now: Int64 = 1_780_629_120 * s
    static let ninetyDays = PruneSettings(retainNs: 90 * day)

    let database: TemporaryDatabase
    var directory: URL { database.directory }
    var path: String { database.path }

    init() throws {
        database = try TemporaryDatabase("picket-retention-tests")
    }

    // MARK: Fixtures

    static func event(_ name: String, at ts: Int64, note: String? = nil) -> Event {
        Event(
            id: name, box: "swanton-07", sector: "swanton", sensor: "seis-7", kind: .seismic, zone: "north-fork",
            source: .serial, state: .active, ts: ts, episode: name, detectionClass: "FOOT", note: note)
    }

    /// Each alert's delivery to the sector, as the daemon queues it.
    static func sectorEntries(_ alerts: [Alert]) -> [OutboxEntry] {
        alerts.map {
            OutboxEntry(
                id: $0.id, destination: "sector", alerts: [$0.id], severityRank: $0.severity.rank, createdTs: $0.firstTs
            )
        }
    }

    static func alert(_ id: String, events: [Event]) -> Alert {
        Alert(
            id: id, rule: "crossing", severity: .high, box: "swanton-07", sector: "swanton", zone: "north-fork",
            firstTs: events.map(\.ts).min()!, lastTs: events.map(\.ts).max()!, direction: nil,
            events: events.map(\.id), position: nil, summary: "crossing")
    }

    /// `count` events one second apart from `start`, named `prefix-N`.
    static func events(_ prefix: String, from start: Int64, count: Int, note: String? = nil) -> [Event] {
        (0..<count).map { event("\(prefix)-\($0)", at: start + Int64($0) * s, note: note) }
    }

    static func ids(_ store: Store, _ table: String, _ column: String = "id") throws -> Set<String> {
        let s = try store.database.statement("SELECT \(column) FROM \(table)")
        defer { s.reset() }
        var out: Set<String> = []
        while try s.step() { out.insert(s.string(0)) }
        return out
    }

    // MARK: The window

    /// Everything older than 90 days goes (events, alerts, finished
    /// deliveries, taken reports, old runs with their counters); younger
    /// rows stay, and so do an alert still owed to the sector, an alert
    /// held for a landowner's text, the events they name, an untaken
    /// report's event and the current run.
    @Test func olderThanTheWindowGoesUnlessADeliveryIsUnfinished() async throws {
        let store = try Store(path: path)
        let old = Self.now - 200 * Self.day
        let young = Self.now - 10 * Self.day
        let oldEvents = Self.events("old", from: old, count: 10)
        let youngEvents = Self.events("young", from: young, count: 10)
        let delivered = Self.alert("delivered", events: Array(oldEvents[0...1]))
        let pending = Self.alert("pending", events: Array(oldEvents[2...3]))
        let held = Self.alert("held", events: Array(oldEvents[4...4]))
        let youngAlert = Self.alert("young", events: Array(youngEvents[0...1]))

        try store.beginRun(id: "replay:old", mode: "replay", startedTs: old, input: "old.jsonl", sensors: [])
        try store.beginRun(id: "live:now", mode: "live", startedTs: old, input: "sim", sensors: [])
        var first = StoreBatch(events: oldEvents, alerts: [delivered, pending], counters: ["events": 10])
        first.outbox = Self.sectorEntries(first.alerts)
        try store.write(first, run: "replay:old", now: old)
        var second = StoreBatch(alerts: [held], counters: ["events": 1])
        second.hotlineMatches = [("North farm", "held")]
        try store.write(second, run: "live:now", now: old)
        try store.write(StoreBatch(events: youngEvents, alerts: [youngAlert]), run: "live:now", now: old)
        try store.markDelivered("delivered", status: 200, now: old)
        // Two old reports: one a daemon took, one still waiting in the inbox.
        let taken = Self.event("report-taken", at: old + 50 * Self.s)
        let waiting = Self.event("report-waiting", at: old + 60 * Self.s)
        try store.storeReport(taken)
        try store.storeReport(waiting)
        var take = StoreBatch()
        take.takenReports = [taken.id]
        try store.write(take, run: "live:now", now: old)

        let report = try await store.prune(now: Self.now, settings: Self.ninetyDays, keepRun: "live:now")

        let kept = Set(oldEvents[2...4].map(\.id)).union(youngEvents.map(\.id)).union([waiting.id])
        #expect(try Self.ids(store, "events") == kept)
        #expect(try Self.ids(store, "alerts") == ["pending", "held", "young"])
        #expect(try Self.ids(store, "deliveries") == ["pending"])
        #expect(try Self.ids(store, "reports") == [waiting.id])
        #expect(try Self.ids(store, "hotline_held", "alert") == ["held"])
        #expect(try Self.ids(store, "runs", "run") == ["live:now"])
        #expect(try store.counters(run: "replay:old").isEmpty)
        #expect(try store.counters(run: "live:now")["events"] == 1)
        #expect(report.deleted["events"] == 7 + 1)
        #expect(report.deleted["alerts"] == 1)
        #expect(report.deleted["deliveries"] == 1)
        #expect(report.deleted["reports"] == 1)
        #expect(report.deleted["runs"] == 1)
        #expect(report.completed && !report.budgetUnreachable)

        // Once the pending alert is delivered, the next pass takes it and its events.
        try store.markDelivered("pending", status: 200, now: Self.now)
        let next = try await store.prune(now: Self.now, settings: Self.ninetyDays, keepRun: "live:now")
        #expect(next.deleted["alerts"] == 1)
        #expect(next.deleted["events"] == 2)
        #expect(try Self.ids(store, "alerts") == ["held", "young"])

        // Nothing more to do: nothing deleted.
        let idle = try await store.prune(now: Self.now, settings: Self.ninetyDays, keepRun: "live:now")
        #expect(idle.total == 0)
    }

    // MARK: The file

    /// A new database can give pages back; pruning then shrinks the file.
    @Test func pruningShrinksTheFile() async throws {
        let store = try Store(path: path)
        #expect(try store.storageSize().incrementalVacuum)
        let note = String(repeating: "x", count: 400)
        try store.write(
            StoreBatch(events: Self.events("old", from: Self.now - 100 * Self.day, count: 10_000, note: note)),
            run: "r", now: Self.now)
        try store.write(
            StoreBatch(events: Self.events("young", from: Self.now - Self.day, count: 100, note: note)), run: "r",
            now: Self.now)
        store.checkpoint()
        let before = try store.storageSize()

        let report = try await store.prune(now: Self.now, settings: Self.ninetyDays)

        let after = try store.storageSize()
        #expect(report.deleted["events"] == 10_000)
        #expect(try store.count("events") == 100)
        #expect(after.pageCount < before.pageCount / 10, "\(before) -> \(after)")
        #expect(after.freePages == 0)
        #expect(after.fileBytes < before.fileBytes / 10, "\(before) -> \(after)")
        #expect(report.bytesAfter < report.bytesBefore)
    }

    /// Over `max_mb`, the oldest go even inside the window, until the file
    /// fits; the pending alert's events stay though they are the oldest.
    @Test func maxMBPrunesOldestFirstUntilTheFileFits() async throws {
        let store = try Store(path: path)
        let note = String(repeating: "y", count: 400)
        let events = Self.events("e", from: Self.now - 30 * Self.day, count: 20_000, note: note)
        var batch = StoreBatch(events: events, alerts: [Self.alert("pending", events: Array(events[0...1]))])
        batch.outbox = Self.sectorEntries(batch.alerts)
        try store.write(batch, run: "r", now: Self.now)
        store.checkpoint()
        let before = try store.storageSize()
        #expect(before.onDiskBytes > 8 * 1_048_576)

        var settings = Self.ninetyDays
        settings.maxBytes = 3 * 1_048_576
        let report = try await store.prune(now: Self.now, settings: settings)

        let after = try store.storageSize()
        #expect(after.budgetBytes <= 3 * 1_048_576, "\(after)")
        #expect(after.onDiskBytes <= 3 * 1_048_576, "\(after)")
        #expect(report.bytesAfter < report.bytesBefore)
        #expect(!report.budgetUnreachable)
        let left = try store.events()
        #expect(left.count < 20_000 && left.count > 2)
        // The pending alert's two events, then the newest of the rest, without a gap.
        #expect(left.prefix(2).map(\.id) == ["e-0", "e-1"])
        let rest = left.dropFirst(2).map(\.id)
        #expect(rest == events.suffix(rest.count).map(\.id))
        #expect(try Self.ids(store, "alerts") == ["pending"])
    }

    /// When only protected rows are left, the pass says so and stops.
    @Test func aBudgetOnlyProtectedRowsExceedIsReported() async throws {
        let store = try Store(path: path)
        let note = String(repeating: "z", count: 400)
        let events = Self.events("e", from: Self.now - Self.day, count: 3000, note: note)
        var batch = StoreBatch(events: events, alerts: [Self.alert("pending", events: events)])
        batch.outbox = Self.sectorEntries(batch.alerts)
        try store.write(batch, run: "r", now: Self.now)
        var settings = Self.ninetyDays
        settings.maxBytes = 1_048_576
        let report = try await store.prune(now: Self.now, settings: settings)
        #expect(report.budgetUnreachable)
        #expect(report.deleted["events"] == nil)
        #expect(try store.count("events") == 3000)
    }

    /// A database from before retention (no incremental vacuum) keeps
    /// every row through its one-time rewrite, and can shrink after it.
    @Test func aLegacyDatabaseIsConvertedWithoutLosingRows() async throws {
        do {
            let legacy = try SQLiteDatabase(path: path)
            try legacy.execute("PRAGMA journal_mode=WAL")
        }
        let store = try Store(path: path)
        #expect(try !store.storageSize().incrementalVacuum)
        let events = Self.events("e", from: Self.now - 200 * Self.day, count: 500)
        try store.write(StoreBatch(events: events), run: "r", now: Self.now)

        try store.convertToIncrementalVacuum()

        #expect(try store.storageSize().incrementalVacuum)
        #expect(try store.events().map(\.id) == events.map(\.id))
        let report = try await store.prune(now: Self.now, settings: Self.ninetyDays)
        #expect(report.deleted["events"] == 500)
        #expect(try store.storageSize().freePages == 0)
    }

    // MARK: Small transactions

    /// 50 000 old events go in transactions of at most `batchRows` rows each,
    /// while a writer on another connection commits a batch every few
    /// milliseconds all along: neither fails (no SQLITE_BUSY) and everything
    /// the writer wrote is kept.
    @Test func pruningGoesInSmallBatchesBesideAWriter() async throws {
        let path = path
        do {
            let store = try Store(path: path)
            try store.write(
                StoreBatch(events: Self.events("old", from: Self.now - 200 * Self.day, count: 50_000)), run: "r",
                now: Self.now)
        }
        let finished = Flag()
        let pruning = Task.detached { () throws -> (batches: Int, largest: Int) in
            defer { finished.set() }
            let store = try Store(path: path)
            var batches = 0
            var largest = 0
            while let deleted = try store.pruneBatch(before: Self.now - 90 * Self.day, limit: 500) {
                batches += 1
                largest = max(largest, deleted.values.max() ?? 0)
            }
            return (batches, largest)
        }
        let writer = Task.detached { () throws -> Int in
            let store = try Store(path: path)
            var written = 0
            var round = 0
            while round < 20 || !finished.isSet {
                let batch = Self.events("new-\(round)", from: Self.now - Int64(round) * Self.s, count: 5)
                try store.write(StoreBatch(events: batch), run: "live", now: Self.now)
                written += batch.count
                round += 1
                // A hot path commits every quarter second; a busier one here.
                try await Task.sleep(for: .milliseconds(5))
            }
            return written
        }
        let (batches, largest) = try await pruning.value
        let written = try await writer.value
        #expect(batches == 100)
        #expect(largest == 500)
        let store = try Store(path: path)
        #expect(try store.count("events") == written)
    }
}

/// Set once, read from another thread.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
