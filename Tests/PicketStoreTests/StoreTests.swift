import Foundation
import PicketCore
import PicketStore
import Testing

/// The SQLite store, each test on a real file in its own temporary directory.
@Suite("Store")
final class StoreTests: Sendable {
    static let s: Int64 = 1_000_000_000
    static let t0: Int64 = 1_780_629_120 * s

    let database: TemporaryDatabase
    var directory: URL { database.directory }
    var path: String { database.path }

    init() throws {
        database = try TemporaryDatabase("picket-store-tests")
    }

    // MARK: Fixtures

    static let sensors = [
        SensorConfig(id: "pir-1", kind: .pir, zone: "north-fork"),
        SensorConfig(id: "seis-7", kind: .seismic, zone: "north-fork"),
        SensorConfig(id: "cam-2", kind: .camera),
    ]

    static func event(
        _ sensor: String, kind: SensorKind, zone: String?, source: EventSource = .serial, state: EventState = .active,
        at offset: Int64, ordinal: Int = 0
    ) -> Event {
        let ts = t0 + offset
        let id = Identifier.event(
            box: "swanton-07", sensor: sensor, source: source, state: state, ts: ts, ordinal: ordinal)
        return Event(
            id: id, box: "swanton-07", sector: "swanton", sensor: sensor, kind: kind, zone: zone, source: source,
            state: state, ts: ts, episode: id)
    }

    static let pirOn: Event = {
        var e = event("pir-1", kind: .pir, zone: "north-fork", source: .gpio, at: 1 * s)
        e.position = Position(lat: 44.9931, lon: -73.1102)
        e.tags = ["trail": "north-fork", "quote": "say \"hi\"", "unicode": "é🌲"]
        return e
    }()

    static let pirOff: Event = {
        var e = event("pir-1", kind: .pir, zone: "north-fork", source: .gpio, state: .inactive, at: 3 * s)
        e.episode = pirOn.id
        e.position = Position(lat: 44.9931, lon: -73.1102)
        e.tags = ["trail": "north-fork"]
        return e
    }()

    static let seis: Event = {
        var e = event("seis-7", kind: .seismic, zone: "north-fork", at: 2 * s)
        e.detectionClass = "FOOT"
        e.strength = 0
        e.position = Position(lat: -12.345678901234, lon: 180.0)
        return e
    }()

    /// Everything optional left nil.
    static let ghost = event("ghost-3", kind: .unknown, zone: nil, at: 2 * s)

    static let capture: Event = {
        var e = event("cam-2", kind: .camera, zone: nil, at: 4 * s)
        e.imageRef = "IMG_0042.JPG"
        return e
    }()

    static let report: Event = {
        var e = event("report", kind: .unknown, zone: "north-fork", source: .report, at: 5 * s)
        e.detectionClass = "VEH"
        e.note = "grey pickup, no plates\nheading north"
        return e
    }()

    static let events = [pirOn, seis, ghost, pirOff, capture, report]

    static let crossing = Alert(
        id: Identifier.alert(
            box: "swanton-07", rule: "crossing", zone: "north-fork", events: [pirOn.id, seis.id], ts: pirOn.ts),
        rule: "crossing", severity: .high, box: "swanton-07", sector: "swanton", zone: "north-fork",
        firstTs: pirOn.ts, lastTs: seis.ts, direction: nil, events: [pirOn.id, seis.id],
        position: Position(lat: 44.9931, lon: -73.1102), summary: "crossing: pir pir-1 + seismic seis-7 in north-fork")

    static let detection = Alert(
        id: Identifier.alert(box: "swanton-07", rule: "detection", zone: nil, events: [ghost.id], ts: ghost.ts),
        rule: "detection", severity: .critical, box: "swanton-07", sector: "swanton", zone: nil, firstTs: ghost.ts,
        lastTs: ghost.ts, direction: "northbound", events: [ghost.id], position: nil, summary: "unknown ghost-3")

    static let status = SensorStatus(sensor: "seis-7", ts: t0 + 6 * s, batteryMv: 3612, tempC: -4.25, tamper: true)

    static func batch(counters: [String: Int] = ["events": 6], sensorCounters: [String: SensorCounters] = [:])
        -> StoreBatch
    {
        StoreBatch(
            events: events, alerts: [crossing, detection], statuses: [status],
            fix: (Position(lat: 45.0, lon: -73.0), t0 + 7 * s), counters: counters, sensorCounters: sensorCounters)
    }

    func open() throws -> Store {
        let store = try Store(path: path)
        try store.beginRun(id: "run-1", mode: "replay", startedTs: Self.t0, input: "rec.jsonl", sensors: Self.sensors)
        return store
    }

    // MARK: Schema

    @Test("migrations set user_version to Store.schemaVersion; reopening keeps it")
    func migrations() throws {
        #expect(Store.schemaVersion >= 1)
        do {
            let store = try Store(path: path)
            #expect(try store.database.userVersion == Store.schemaVersion)
            #expect(try store.count("events") == 0)
        }
        let again = try Store(path: path, create: false)
        #expect(try again.database.userVersion == Store.schemaVersion)
    }

    /// Migration 8: alerts an older Picket left `pending` with no sector
    /// delivery (a replay, a box without `forward`) are `not_forwarded`;
    /// one with a delivery keeps its state.
    @Test("alerts that will never be sent become not_forwarded on migration")
    func notForwardedMigration() throws {
        do {
            let store = try Store(path: path)
            var batch = StoreBatch(alerts: [Self.crossing, Self.detection])
            batch.outbox = [
                OutboxEntry(
                    id: Self.crossing.id, destination: "sector", alerts: [Self.crossing.id],
                    severityRank: Self.crossing.severity.rank, createdTs: Self.crossing.firstTs)
            ]
            try store.write(batch, run: "r", now: Self.t0)
            // As an older Picket stored them: both pending.
            try store.database.execute(
                "UPDATE alerts SET delivery = 'pending'; PRAGMA user_version = \(Store.schemaVersion - 1)")
        }
        let store = try Store(path: path)
        #expect(try store.database.userVersion == Store.schemaVersion)
        #expect(
            try store.alerts().map(\.delivery) == ["pending", "not_forwarded"]
                || store.alerts().map(\.delivery) == ["not_forwarded", "pending"])
        #expect(try store.alerts(deliveries: ["pending"]).map(\.alert.id) == [Self.crossing.id])
    }

    @Test("a database with a higher user_version is refused with .schemaTooNew")
    func schemaTooNew() throws {
        do {
            let store = try Store(path: path)
            try store.database.execute("PRAGMA user_version = \(Store.schemaVersion + 1)")
        }
        let error = #expect(throws: StoreError.self) { try Store(path: self.path) }
        guard case .schemaTooNew(let errorPath, let found, let supported)? = error else {
            Issue.record("expected .schemaTooNew, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(found == Store.schemaVersion + 1)
        #expect(supported == Store.schemaVersion)
        #expect(error?.description.contains(path) == true)
    }

    @Test("create: false on a missing file gives .missing and creates nothing")
    func missing() throws {
        let error = #expect(throws: StoreError.self) { try Store(path: self.path, create: false) }
        guard case .missing(let errorPath)? = error else {
            Issue.record("expected .missing, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("WAL mode is on")
    func wal() throws {
        do {
            let store = try Store(path: path)
            let s = try store.database.statement("PRAGMA journal_mode")
            #expect(try s.step())
            #expect(s.string(0) == "wal")
        }
        // WAL is a property of the file: a read-only open sees it too.
        let reader = try Store(path: path, create: false, readOnly: true)
        let s = try reader.database.statement("PRAGMA journal_mode")
        #expect(try s.step())
        #expect(s.string(0) == "wal")
    }

    /// Two connections take turns writing (the pipeline and the sender, or
    /// `picket report` beside a running daemon): opening must leave no read
    /// snapshot behind that would make the first one's next write fail.
    @Test("a connection opened first can still write after another one wrote")
    func connectionsTakeTurns() throws {
        let first = try Store(path: path)
        let second = try Store(path: path)
        try second.write(StoreBatch(alerts: [Self.alert(1)]), run: "r", now: Self.t0)
        try first.write(StoreBatch(alerts: [Self.alert(2)]), run: "r", now: Self.t0)
        try second.write(StoreBatch(alerts: [Self.alert(3)]), run: "r", now: Self.t0)
        #expect(try first.alerts().count == 3)
    }

    /// Processes starting together on a new file migrate it once.
    @Test("connections opening a new file at once migrate it once")
    func concurrentMigration() async throws {
        // Many rounds, each on a new file: the race (a journal-mode switch
        // refused with SQLITE_BUSY) showed once in a CI run of one round.
        for round in 0..<40 {
            let path = "\(path).\(round)"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { _ = try Store(path: path) } }
                try await group.waitForAll()
            }
            #expect(try Store(path: path).database.userVersion == Store.schemaVersion)
        }
    }

    static func alert(_ n: Int) -> Alert {
        Alert(
            id: "a\(n)", rule: "r", severity: .high, box: "b", sector: "s", zone: "z", firstTs: t0 + Int64(n) * s,
            lastTs: t0 + Int64(n) * s, direction: nil, events: [], position: nil, summary: "x")
    }

    // MARK: Writing and reading

    @Test("a batch reads back exactly: events with tags, nulls and positions, alerts, sensors, fix")
    func roundTrip() throws {
        let store = try open()
        try store.write(
            Self.batch(sensorCounters: ["seis-7": SensorCounters(duplicates: 2, lost: 3, glitches: 0)]), run: "run-1",
            now: Self.t0 + 8 * Self.s)

        let events = try store.events()
        // In time order (ties in the order written).
        #expect(events == [Self.pirOn, Self.seis, Self.ghost, Self.pirOff, Self.capture, Self.report])
        #expect(
            try store.events(since: Self.t0 + 3 * Self.s).map(\.id) == [
                Self.pirOff.id, Self.capture.id, Self.report.id,
            ])
        #expect(try store.events(sensor: "pir-1") == [Self.pirOn, Self.pirOff])

        let alerts = try store.alerts()
        // No sector delivery in their batch (a replay, no `forward`): never sent.
        #expect(
            alerts == [
                StoredAlert(alert: Self.crossing, delivery: "not_forwarded"),
                StoredAlert(alert: Self.detection, delivery: "not_forwarded"),
            ])
        #expect(try store.alerts(deliveries: ["pending"]).isEmpty)
        #expect(try store.alerts(deliveries: ["not_forwarded"]).count == 2)
        #expect(try store.alerts(deliveries: ["dead"]).isEmpty)

        let fix = try #require(try store.boxFix())
        #expect(fix.position == Position(lat: 45.0, lon: -73.0))
        #expect(fix.ts == Self.t0 + 7 * Self.s)

        #expect(
            try store.sensors() == [
                SensorHealth(sensor: "cam-2", kind: .camera, zone: nil, lastEventTs: Self.capture.ts),
                SensorHealth(sensor: "ghost-3", kind: .unknown, zone: nil, lastEventTs: Self.ghost.ts),
                SensorHealth(sensor: "pir-1", kind: .pir, zone: "north-fork", lastEventTs: Self.pirOff.ts),
                SensorHealth(sensor: "report", kind: .unknown, zone: nil, lastEventTs: Self.report.ts),
                SensorHealth(
                    sensor: "seis-7", kind: .seismic, zone: "north-fork", lastEventTs: Self.seis.ts,
                    lastHeartbeatTs: Self.status.ts, batteryMv: 3612, tempC: -4.25, tamper: true, duplicates: 2,
                    lost: 3),
            ])
        #expect(try store.counters(run: "run-1") == ["events": 6])
    }

    @Test("a configured sensor with no events and no heartbeat reads back with nulls and zero counters")
    func quietSensor() throws {
        let store = try open()
        #expect(
            try store.sensors() == [
                SensorHealth(sensor: "cam-2", kind: .camera),
                SensorHealth(sensor: "pir-1", kind: .pir, zone: "north-fork"),
                SensorHealth(sensor: "seis-7", kind: .seismic, zone: "north-fork"),
            ])
    }

    @Test("writing the same batch twice stores it once; a run's counters are replaced, not added")
    func idempotent() throws {
        let store = try open()
        let counters = ["seis-7": SensorCounters(duplicates: 2, lost: 3, glitches: 1, unknownSentences: 0)]
        try store.write(Self.batch(sensorCounters: counters), run: "run-1", now: Self.t0)
        try store.write(Self.batch(sensorCounters: counters), run: "run-1", now: Self.t0 + 1)
        #expect(try store.count("events") == Self.events.count)
        #expect(try store.count("alerts") == 2)
        #expect(try store.events() == Self.events)
        #expect(try store.counters(run: "run-1") == ["events": 6])
        let seis = try #require(try store.sensors().first { $0.sensor == "seis-7" })
        #expect(seis.duplicates == 2)
        #expect(seis.lost == 3)
        #expect(seis.glitches == 1)

        // Later cumulative counters of the same run replace the earlier ones.
        try store.write(
            StoreBatch(
                counters: ["events": 9, "alerts": 2],
                sensorCounters: ["seis-7": SensorCounters(duplicates: 5, lost: 3, glitches: 1)]),
            run: "run-1", now: Self.t0 + 2)
        #expect(try store.counters(run: "run-1") == ["events": 9, "alerts": 2])
        #expect(try store.sensors().first { $0.sensor == "seis-7" }?.duplicates == 5)
    }

    @Test("two runs' per-sensor counters sum in sensors()")
    func runsSum() throws {
        let store = try open()
        try store.beginRun(id: "run-2", mode: "live", startedTs: Self.t0 + 100, input: nil, sensors: Self.sensors)
        try store.write(
            StoreBatch(
                counters: ["duplicates": 2],
                sensorCounters: [
                    "seis-7": SensorCounters(duplicates: 2, lost: 3, glitches: 0, unknownSentences: 0),
                    "ghost-3": SensorCounters(unknownSentences: 4),
                ]),
            run: "run-1", now: Self.t0)
        try store.write(
            StoreBatch(
                counters: ["duplicates": 1],
                sensorCounters: [
                    "seis-7": SensorCounters(duplicates: 1, lost: 4, glitches: 0, unknownSentences: 0),
                    "pir-1": SensorCounters(glitches: 7),
                    "ghost-3": SensorCounters(unknownSentences: 1),
                ]),
            run: "run-2", now: Self.t0)
        let health = Dictionary(uniqueKeysWithValues: try store.sensors().map { ($0.sensor, $0) })
        #expect(health["seis-7"]?.duplicates == 3)
        #expect(health["seis-7"]?.lost == 7)
        #expect(health["pir-1"]?.glitches == 7)
        #expect(health["ghost-3"]?.unknownSentences == 5)
        #expect(health["ghost-3"]?.kind == .unknown)
        #expect(health["cam-2"]?.duplicates == 0)
        #expect(try store.counters(run: "run-1") == ["duplicates": 2])
        #expect(try store.counters(run: "run-2") == ["duplicates": 1])
    }

    @Test("a sensor's status only moves forward in time")
    func statusesForward() throws {
        let store = try open()
        func write(_ ts: Int64, _ battery: Int, tamper: Bool) throws {
            try store.write(
                StoreBatch(statuses: [
                    SensorStatus(sensor: "seis-7", ts: ts, batteryMv: battery, tempC: 20, tamper: tamper)
                ]),
                run: "run-1", now: ts)
        }
        try write(Self.t0 + 100, 3600, tamper: false)
        try write(Self.t0 + 50, 3000, tamper: true)  // older: ignored
        var seis = try #require(try store.sensors().first { $0.sensor == "seis-7" })
        #expect(seis.lastHeartbeatTs == Self.t0 + 100)
        #expect(seis.batteryMv == 3600)
        #expect(seis.tamper == false)
        try write(Self.t0 + 200, 3500, tamper: true)
        seis = try #require(try store.sensors().first { $0.sensor == "seis-7" })
        #expect(seis.lastHeartbeatTs == Self.t0 + 200)
        #expect(seis.batteryMv == 3500)
        #expect(seis.tamper == true)
        // Statuses within one batch apply in time order too, whatever their order in it.
        try store.write(
            StoreBatch(statuses: [
                SensorStatus(sensor: "seis-7", ts: Self.t0 + 400, batteryMv: 3400, tempC: 1, tamper: false),
                SensorStatus(sensor: "seis-7", ts: Self.t0 + 300, batteryMv: 3300, tempC: 1, tamper: false),
            ]), run: "run-1", now: Self.t0 + 400)
        seis = try #require(try store.sensors().first { $0.sensor == "seis-7" })
        #expect(seis.lastHeartbeatTs == Self.t0 + 400)
        #expect(seis.batteryMv == 3400)
    }

    @Test("a status from a sensor the configuration does not list is kept, as kind unknown")
    func unknownStatus() throws {
        let store = try open()
        try store.write(
            StoreBatch(statuses: [
                SensorStatus(sensor: "ghost-3", ts: Self.t0, batteryMv: 3100, tempC: 5.5, tamper: false)
            ]),
            run: "run-1", now: Self.t0)
        let ghost = try #require(try store.sensors().first { $0.sensor == "ghost-3" })
        #expect(ghost.kind == .unknown)
        #expect(ghost.batteryMv == 3100)
        #expect(ghost.tempC == 5.5)
        #expect(ghost.tamper == false)
    }

    @Test("a batch that fails leaves nothing partial, and the store stays usable")
    func failedBatchIsAtomic() throws {
        let store = try open()
        // Events go in before alerts; make the alerts fail.
        try store.database.execute(
            "CREATE TRIGGER fail_alerts BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'forced failure'); END;")
        let batch = Self.batch(sensorCounters: ["seis-7": SensorCounters(duplicates: 2)])
        #expect(throws: StoreError.self) { try store.write(batch, run: "run-1", now: Self.t0) }
        #expect(store.database.isAutocommit, "no transaction left open")
        #expect(try store.count("events") == 0)
        #expect(try store.count("alerts") == 0)
        #expect(try store.count("counters") == 0)
        #expect(try store.count("sensor_counters") == 0)
        #expect(try store.boxFix() == nil)
        #expect(try store.sensors().allSatisfy { $0.lastHeartbeatTs == nil && $0.duplicates == 0 })
        #expect(try store.sensors().count == Self.sensors.count, "no unknown sensor rows either")

        try store.database.execute("DROP TRIGGER fail_alerts")
        try store.write(batch, run: "run-1", now: Self.t0)
        #expect(try store.count("events") == Self.events.count)
        #expect(try store.count("alerts") == 2)
        #expect(try store.sensors().first { $0.sensor == "seis-7" }?.duplicates == 2)
    }

    @Test("a committed batch is visible to another connection")
    func durableAcrossConnections() throws {
        let store = try open()
        try store.write(Self.batch(), run: "run-1", now: Self.t0)
        let reader = try Store(path: path, create: false, readOnly: true)
        #expect(try reader.events() == Self.events)
        #expect(try reader.alerts().map(\.alert) == [Self.crossing, Self.detection])
    }
}
