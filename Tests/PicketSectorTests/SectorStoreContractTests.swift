import Foundation
import PicketSector
import PicketTestSupport
import Testing

/// How to make each `SectorStore` the contract runs against: SQLite in a
/// temporary folder, and PostgreSQL in a fresh database of the test
/// process's own server (`PostgresTestServer`; left out only when
/// `PICKET_SKIP_POSTGRES_TESTS=1`, failing when PostgreSQL is missing).
enum StoreFactory: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var allCases: [StoreFactory] { PostgresTestServer.skipped ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// A new, migrated, empty store in `directory` (for PostgreSQL, a new
    /// database whose URL is kept in the folder for `reopen`).
    func make(in directory: URL) async throws -> any SectorStore {
        switch self {
        case .sqlite:
            let store = try SQLiteSectorStore(path: directory.appendingPathComponent("sector.db").path)
            try await store.migrate()
            return store
        case .postgres:
            let url = try await PostgresTestServer.makeDatabase()
            try url.write(to: directory.appendingPathComponent("postgres-url"), atomically: true, encoding: .utf8)
            let store = try PostgresSectorStore(url: url)
            try await store.migrate()
            return store
        }
    }

    /// A second handle on the same database, as a second process would have.
    func reopen(in directory: URL) async throws -> any SectorStore {
        switch self {
        case .sqlite:
            let store = try SQLiteSectorStore(path: directory.appendingPathComponent("sector.db").path)
            try await store.migrate()
            return store
        case .postgres:
            let url = try String(contentsOf: directory.appendingPathComponent("postgres-url"), encoding: .utf8)
            let store = try PostgresSectorStore(url: url)
            try await store.migrate()
            return store
        }
    }
}

let second: Int64 = 1_000_000_000
let t0: Int64 = 1_780_000_000 * 1_000_000_000

func incoming(_ id: String, box: String = "ridge-01", zone: String? = "north", at ts: Int64 = t0) -> IncomingAlert {
    IncomingAlert(
        id: id, box: box, format: .json, rule: "pir-only", severity: "medium", zone: zone, firstTs: ts, lastTs: ts,
        lat: 44.1, lon: -72.5, summary: "motion", receivedTs: ts, body: "{\"id\":\"\(id)\"}")
}

func status(_ box: String, at ts: Int64) -> IncomingStatus {
    IncomingStatus(
        box: box, boxTs: ts, receivedTs: ts, clockOffsetS: 0, document: "{\"type\":\"status\",\"box\":\"\(box)\"}")
}

/// The contract every `SectorStore` keeps.
@Suite struct SectorStoreContractTests {
    @Test(arguments: StoreFactory.allCases)
    func anAlertIsStoredOncePerID(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        #expect(try await store.storeAlert(incoming("a1")) == .stored)
        var again = incoming("a1", at: t0 + 5 * second)
        again.summary = "changed"
        #expect(try await store.storeAlert(again) == .duplicate)
        let all = try await store.alerts(AlertQuery())
        #expect(all.count == 1)
        #expect(all.first?.summary == "motion")
        #expect(all.first?.body == "{\"id\":\"a1\"}")
        #expect(try await store.alert(id: "a1")?.lat == 44.1)
    }

    @Test(arguments: StoreFactory.allCases)
    func sectorDirectionAndEventsAreKept(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        var alert = incoming("a1")
        alert.sector = "swanton"
        alert.direction = "north->south"
        alert.events = ["e1", "e \"2\""]
        _ = try await store.storeAlert(alert)
        _ = try await store.storeAlert(incoming("a2"))
        let first = try #require(try await store.alert(id: "a1"))
        #expect(first.sector == "swanton")
        #expect(first.direction == "north->south")
        #expect(first.events == ["e1", "e \"2\""])
        let plain = try #require(try await store.alert(id: "a2"))
        #expect(plain.sector == nil)
        #expect(plain.direction == nil)
        #expect(plain.events == [])
    }

    /// Many alerts at once (the SQLite store commits them in groups): each
    /// caller gets its own outcome, repeats among them are stored once, and
    /// the box's clock is kept with them.
    @Test(arguments: StoreFactory.allCases)
    func concurrentAlertsAreEachAnsweredAndStoredOnce(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        let outcomes = try await withThrowingTaskGroup(of: (Int, StoreOutcome).self) { group in
            // 300 calls (past the SQLite store's 256 a transaction) for 200 ids: 100 repeated.
            for i in 0..<300 {
                group.addTask {
                    var alert = incoming("c\(i % 200)", box: "box-\(i % 7)", at: t0 + Int64(i) * second)
                    alert.clockOffsetS = Int64(i % 7)
                    return (i, try await store.storeAlert(alert))
                }
            }
            var all: [(Int, StoreOutcome)] = []
            for try await item in group { all.append(item) }
            return all
        }
        #expect(outcomes.count == 300)
        #expect(outcomes.filter { $0.1 == .stored }.count == 200)
        // Of each repeated id exactly one of its two calls stored it.
        for id in 0..<100 {
            let pair = outcomes.filter { $0.0 % 200 == id }.map(\.1)
            #expect(pair.count == 2)
            #expect(pair.filter { $0 == .stored }.count == 1, "id c\(id): \(pair)")
        }
        #expect(try await store.alerts(AlertQuery(limit: 1000)).count == 200)
        let boxes = try await store.boxes()
        #expect(boxes.count == 7)
        for box in boxes {
            #expect(box.clockOffsetS == Int64(box.box.dropFirst(4))!, "\(box.box)")
            #expect(!box.clockWrong)
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func alertsAreFilteredAndOrdered(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        _ = try await store.storeAlert(incoming("a1", box: "ridge-01", zone: "north", at: t0))
        _ = try await store.storeAlert(incoming("a2", box: "ford-02", zone: "ford", at: t0 + second))
        _ = try await store.storeAlert(incoming("a3", box: "ridge-01", zone: "south", at: t0 + 2 * second))
        #expect(try await store.alerts(AlertQuery()).map(\.id) == ["a3", "a2", "a1"])
        #expect(try await store.alerts(AlertQuery(order: .oldestFirst)).map(\.id) == ["a1", "a2", "a3"])
        #expect(try await store.alerts(AlertQuery(since: t0 + second)).map(\.id) == ["a3", "a2"])
        #expect(try await store.alerts(AlertQuery(box: "ridge-01")).map(\.id) == ["a3", "a1"])
        #expect(try await store.alerts(AlertQuery(zone: "ford")).map(\.id) == ["a2"])
        #expect(try await store.alerts(AlertQuery(limit: 1)).map(\.id) == ["a3"])
    }

    @Test(arguments: StoreFactory.allCases)
    func theFirstAcknowledgementIsKept(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        _ = try await store.storeAlert(incoming("a1"))
        guard case .acknowledged(let first) = try await store.acknowledge(id: "a1", by: "alice", at: t0 + second)
        else {
            Issue.record("not acknowledged")
            return
        }
        #expect(first.acknowledgedBy == "alice")
        #expect(first.acknowledgedTs == t0 + second)
        guard
            case .alreadyAcknowledged(let later) = try await store.acknowledge(id: "a1", by: "bob", at: t0 + 9 * second)
        else {
            Issue.record("acknowledged twice")
            return
        }
        #expect(later.acknowledgedBy == "alice")
        #expect(later.acknowledgedTs == t0 + second)
        #expect(try await store.acknowledge(id: "nope", by: "alice", at: t0) == .notFound)
    }

    @Test(arguments: StoreFactory.allCases)
    func aStatusIsKeptWithItsClock(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        try await store.registerBoxes(["ridge-01", "ford-02"])
        try await store.noteClock(box: "ridge-01", offsetS: 900, wrong: true, at: t0)
        #expect(try await store.boxes().first { $0.box == "ridge-01" }?.clockWrong == true)
        var s = status("ridge-01", at: t0 + second)
        s.clockOffsetS = -2
        #expect(try await store.storeStatus(s) == nil)
        let boxes = try await store.boxes()
        #expect(boxes.map(\.box) == ["ford-02", "ridge-01"])
        let ridge = try #require(boxes.last)
        #expect(ridge.clockWrong == false)
        #expect(ridge.clockOffsetS == -2)
        #expect(ridge.lastStatusTs == t0 + second)
        #expect(ridge.lastStatus == s.document)
        #expect(boxes.first?.lastStatus == nil)
        // An older status arriving late does not replace the newer one.
        var late = status("ridge-01", at: t0)
        late.document = "{\"old\":true}"
        _ = try await store.storeStatus(late)
        #expect(try await store.boxes().last?.lastStatus == s.document)
    }

    @Test(arguments: StoreFactory.allCases)
    func offlineOncePerOutageAndOnlineWhenBack(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        try await store.registerBoxes(["never-seen"])
        _ = try await store.storeStatus(status("ridge-01", at: t0))
        _ = try await store.storeStatus(status("ford-02", at: t0 + 500 * second))
        // At t0 + 1000 s with 900 s: ridge-01 is silent too long, ford-02 not; never-seen never was on.
        let now = t0 + 1000 * second
        let first = try await store.markOffline(lastStatusBefore: now - 900 * second, at: now)
        #expect(first.map(\.box) == ["ridge-01"])
        #expect(first.first?.rule == "box.offline")
        #expect(try await store.markOffline(lastStatusBefore: now - 900 * second, at: now).isEmpty)
        #expect(
            try await store.markOffline(lastStatusBefore: now + 60 * second, at: now + 960 * second).map(\.box)
                == ["ford-02"])
        let back = try await store.storeStatus(status("ridge-01", at: now + 2000 * second))
        #expect(back?.rule == "box.online")
        #expect(try await store.storeStatus(status("ridge-01", at: now + 2001 * second)) == nil)
        // A second outage is a second box.offline.
        let later = now + 5000 * second
        #expect(
            try await store.markOffline(lastStatusBefore: later - 900 * second, at: later).map(\.box) == ["ridge-01"])
        let rules = try await store.alerts(AlertQuery(box: "ridge-01", order: .oldestFirst)).map(\.rule)
        #expect(rules == ["box.offline", "box.online", "box.offline"])
        #expect(try await store.boxes().first { $0.box == "never-seen" }?.offline == false)
    }

    /// Two handles on one database (two processes) racing to mark the same
    /// outage: exactly one `box.offline`.
    @Test(arguments: StoreFactory.allCases)
    func twoHandlesRaiseOneOfflinePerOutage(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try await factory.make(in: dir)
        let b = try await factory.reopen(in: dir)
        for index in 0..<20 { _ = try await a.storeStatus(status("box-\(index)", at: t0)) }
        let now = t0 + 1000 * second
        async let fromA = a.markOffline(lastStatusBefore: now - 900 * second, at: now)
        async let fromB = b.markOffline(lastStatusBefore: now - 900 * second, at: now)
        let raised = try await fromA + fromB
        #expect(raised.count == 20)
        #expect(Set(raised.map(\.box)).count == 20)
        #expect(try await a.alerts(AlertQuery()).filter { $0.rule == "box.offline" }.count == 20)
    }

    @Test(arguments: StoreFactory.allCases)
    func migratingTwiceChangesNothing(_ factory: StoreFactory) async throws {
        let dir = try temporaryDirectory("sector-store")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try await factory.make(in: dir)
        _ = try await store.storeAlert(incoming("a1"))
        try await store.migrate()
        let again = try await factory.reopen(in: dir)
        #expect(try await again.alerts(AlertQuery()).map(\.id) == ["a1"])
        try await again.ping()
    }
}
