import Foundation
import PicketCore
import PicketStore
import Testing

/// The streaming reads behind `picket events` and `picket alerts`: every
/// bound of a `RowQuery`, the newest N handed over oldest first, a follower's
/// seq window, and an alert's sector delivery joined in.
@Suite("Store queries")
final class QueryStoreTests: Sendable {
    static let s: Int64 = 1_000_000_000
    static let t0: Int64 = 1_780_629_120 * s

    let database: TemporaryDatabase
    var directory: URL { database.directory }
    var path: String { database.path }

    init() throws {
        database = try TemporaryDatabase("picket-query-tests")
    }

    /// Event `n` at t0 + n s; even ones in zone north, odd ones in south,
    /// every third from seis-7.
    static func event(_ n: Int) -> Event {
        let ts = t0 + Int64(n) * s
        let sensor = n % 3 == 0 ? "seis-7" : "pir-1"
        let id = Identifier.event(box: "b", sensor: sensor, source: .gpio, state: .active, ts: ts, ordinal: 0)
        return Event(
            id: id, box: "b", sector: "s", sensor: sensor, kind: n % 3 == 0 ? .seismic : .pir,
            zone: n % 2 == 0 ? "north" : "south", source: .gpio, state: .active, ts: ts, episode: id)
    }

    static func alert(_ n: Int) -> Alert {
        Alert(
            id: "alert-\(n)", rule: "r\(n)", severity: .high, box: "b", sector: "s",
            zone: n % 2 == 0 ? "north" : "south",
            firstTs: t0 + Int64(n) * s, lastTs: t0 + Int64(n) * s, direction: nil, events: [], position: nil,
            summary: "alert \(n)")
    }

    /// Ten events and six alerts, written out of time order (so storage
    /// order and time order differ).
    func seeded() throws -> Store {
        let store = try Store(path: path)
        for part in [[5, 6, 7, 8, 9], [0, 1, 2, 3, 4]] {
            try store.write(StoreBatch(events: part.map(Self.event)), run: "r", now: Self.t0)
        }
        // With their sector deliveries, as a box with `forward` stores them.
        var batch = StoreBatch(alerts: [3, 4, 5, 0, 1, 2].map(Self.alert))
        batch.outbox = batch.alerts.map {
            OutboxEntry(
                id: $0.id, destination: "sector", alerts: [$0.id], severityRank: $0.severity.rank,
                createdTs: $0.firstTs)
        }
        try store.write(batch, run: "r", now: Self.t0)
        return store
    }

    func events(_ store: Store, _ query: RowQuery) throws -> [Int] {
        var out: [Int] = []
        try store.forEachEvent(query) { out.append(Int(($0.ts - Self.t0) / Self.s)) }
        return out
    }

    func alerts(_ store: Store, _ query: RowQuery) throws -> [Int] {
        var out: [Int] = []
        try store.forEachAlert(query) { stored, _ in out.append(Int((stored.alert.firstTs - Self.t0) / Self.s)) }
        return out
    }

    @Test("events: since, until, zone, sensor and limit, each alone and together, in time order")
    func eventBounds() throws {
        let store = try seeded()
        #expect(try events(store, RowQuery()) == Array(0...9))
        #expect(try events(store, RowQuery(since: Self.t0 + 7 * Self.s)) == [7, 8, 9])
        #expect(try events(store, RowQuery(until: Self.t0 + 2 * Self.s)) == [0, 1, 2])
        #expect(try events(store, RowQuery(zone: "south")) == [1, 3, 5, 7, 9])
        #expect(try events(store, RowQuery(zone: "east")) == [])
        #expect(try events(store, RowQuery(sensor: "seis-7")) == [0, 3, 6, 9])
        #expect(try events(store, RowQuery(limit: 3)) == [7, 8, 9])
        #expect(try events(store, RowQuery(limit: 0)) == [])
        #expect(try events(store, RowQuery(limit: 100)) == Array(0...9))
        #expect(
            try events(
                store, RowQuery(since: Self.t0 + 1 * Self.s, until: Self.t0 + 8 * Self.s, zone: "north", limit: 2))
                == [6, 8])
        #expect(try events(store, RowQuery(zone: "north", sensor: "seis-7")) == [0, 6])
        // The older reading functions still work, on top of the same query.
        #expect(try store.events(since: Self.t0 + 8 * Self.s, sensor: "pir-1").map(\.id) == [Self.event(8).id])
    }

    @Test("a follower's window: rows stored after one seq and up to another, in the order stored")
    func eventSeqWindow() throws {
        let store = try seeded()
        // Stored 5...9 first, then 0...4.
        #expect(try store.lastEventSeq() == 10)
        #expect(try events(store, RowQuery(afterSeq: 5, order: .stored)) == [0, 1, 2, 3, 4])
        #expect(try events(store, RowQuery(afterSeq: 3, throughSeq: 7, order: .stored)) == [8, 9, 0, 1])
        #expect(try events(store, RowQuery(zone: "south", afterSeq: 3, throughSeq: 7, order: .stored)) == [9, 1])
        #expect(try events(store, RowQuery(throughSeq: 5)) == [5, 6, 7, 8, 9])
        // The newest of a snapshot, newest by time.
        #expect(try events(store, RowQuery(limit: 2, throughSeq: 5)) == [8, 9])
        #expect(try events(store, RowQuery(limit: 2, throughSeq: 7)) == [8, 9])
        #expect(try Store(path: directory.appendingPathComponent("empty.db").path).lastEventSeq() == 0)
    }

    @Test("the newest N of equal times are the last stored, still printed in storage order")
    func limitBreaksTiesByStorageOrder() throws {
        let store = try Store(path: path)
        let ts = Self.t0
        let same = (0..<4).map { ordinal in
            let id = Identifier.event(
                box: "b", sensor: "pir-1", source: .gpio, state: .active, ts: ts, ordinal: ordinal)
            return Event(
                id: id, box: "b", sector: "s", sensor: "pir-1", kind: .pir, zone: nil, source: .gpio, state: .active,
                ts: ts, episode: id)
        }
        try store.write(StoreBatch(events: same), run: "r", now: ts)
        var ids: [String] = []
        try store.forEachEvent(RowQuery(limit: 2)) { ids.append($0.id) }
        #expect(ids == [same[2].id, same[3].id])
    }

    @Test("alerts: since, until, zone, delivery state, limit and the seq window")
    func alertBounds() throws {
        let store = try seeded()
        #expect(try alerts(store, RowQuery()) == Array(0...5))
        #expect(try alerts(store, RowQuery(since: Self.t0 + 4 * Self.s)) == [4, 5])
        #expect(try alerts(store, RowQuery(until: Self.t0 + 1 * Self.s)) == [0, 1])
        #expect(try alerts(store, RowQuery(zone: "north")) == [0, 2, 4])
        #expect(try alerts(store, RowQuery(limit: 2)) == [4, 5])
        #expect(try alerts(store, RowQuery(zone: "south", limit: 2)) == [3, 5])
        #expect(try alerts(store, RowQuery(deliveries: ["pending"], limit: 1)) == [5])
        #expect(try alerts(store, RowQuery(deliveries: ["dead"])) == [])
        // Stored 3, 4, 5, 0, 1, 2.
        #expect(try store.lastAlertSeq() == 6)
        #expect(try alerts(store, RowQuery(afterSeq: 2, throughSeq: 5, order: .stored)) == [5, 0, 1])
        // A sensor bounds events alone; alerts have none.
        #expect(try alerts(store, RowQuery(sensor: "pir-1")) == Array(0...5))
    }

    @Test("an alert in the outbox comes with its sector delivery's attempts; one outside it without")
    func alertsCarryTheirSectorDelivery() throws {
        let store = try Store(path: path)
        var forwarded = StoreBatch(alerts: [Self.alert(1)])
        forwarded.outbox = forwarded.alerts.map {
            OutboxEntry(
                id: $0.id, destination: "sector", alerts: [$0.id], severityRank: $0.severity.rank, createdTs: $0.firstTs
            )
        }
        try store.write(forwarded, run: "r", now: Self.t0)
        try store.write(StoreBatch(alerts: [Self.alert(2)]), run: "r", now: Self.t0)
        try store.markInFlight("alert-1", now: Self.t0 + Self.s)
        try store.markRetry("alert-1", status: 503, response: "busy", nextAttemptTs: Self.t0 + 9 * Self.s)

        var rows: [(StoredAlert, DeliveryAttempts?)] = []
        try store.forEachAlert(RowQuery()) { rows.append(($0, $1)) }
        #expect(rows.map(\.0.alert.id) == ["alert-1", "alert-2"])
        #expect(
            rows[0].1
                == DeliveryAttempts(
                    state: .pending, attempts: 1, nextAttemptTs: Self.t0 + 9 * Self.s, lastStatus: 503,
                    lastResponse: "busy"))
        #expect(rows[1].1 == nil)
    }
}
