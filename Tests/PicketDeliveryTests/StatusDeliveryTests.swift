import Crypto
import Foundation
import Logging
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

@testable import PicketDelivery

/// The box status (PRODUCT.md section 6, "Box status") against a real HTTP
/// server on 127.0.0.1: what it sends, that only the newest waits, that it
/// never goes before a due alert, and the reports a sector hands back.
@Suite struct StatusDeliveryTests {
    static let report =
        "{\"reports\": [{\"id\": \"r-1\", \"zone\": \"north-fork\", \"class\": \"FOOT\", \"note\": \"two people\", "
        + "\"ts\": \"2026-06-05T03:10:00Z\"}]}"

    static func configuration(_ f: Fixture, port: Int, interval: Int) -> PicketConfiguration {
        var c = PicketConfiguration(
            box: "test-box", sector: "test-sector", site: Position(lat: 1, lon: 2),
            sensors: [SensorConfig(id: "seis-7", kind: .seismic, zone: "north-fork")])
        c.forward = ForwardConfig(
            url: "http://127.0.0.1:\(port)/v1/alerts", secretFile: f.secretPath, statusIntervalS: interval)
        return c
    }

    /// Runs a sender until `done` holds, then stops it.
    static func send(
        _ f: Fixture, _ configuration: PicketConfiguration, settings: DeliveryService.Settings = Fixture.fastSettings,
        started: (DeliveryService) async throws -> Void = { _ in }, until done: () throws -> Bool
    ) async throws {
        let service = try DeliveryService(
            configuration: configuration, databasePath: f.db, logger: f.logger, settings: settings, exercise: false,
            clock: SystemClock())
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await started(service)
        try await eventually("sender done", timeout: .seconds(90), done)
        task.cancel()
        try await task.value
    }

    static func statuses(_ receiver: TestReceiver) -> [TestReceiver.Request] {
        receiver.requests.filter { $0.uri == "/v1/status" }
    }

    /// Distinct statuses in the order they first arrived, as JSON.
    static func documents(_ receiver: TestReceiver) throws -> [[String: Any]] {
        var seen: Set<String> = []
        var out: [[String: Any]] = []
        for request in statuses(receiver) {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            let id = try #require(json["id"] as? String)
            if seen.insert(id).inserted { out.append(json) }
        }
        return out
    }

    @Test func statusesArriveSignedWithEveryField() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        let configuration = Self.configuration(f, port: receiver.port, interval: 1)
        try f.store().beginRun(
            id: "live:test", mode: "live", startedTs: f.epoch, input: nil, sensors: configuration.allSensors)
        var batch = StoreBatch(fix: (Position(lat: 44.99, lon: -73.11), f.epoch))
        batch.clockOffset = ClockOffset(offsetNs: 2_300_000_000, ts: f.epoch)
        try f.store().write(batch, run: "live:test", now: f.epoch)
        try await Self.send(f, configuration) {
            Set(Self.statuses(receiver).compactMap { $0.header("Idempotency-Key") }).count >= 2
        }

        for request in Self.statuses(receiver) {
            #expect(request.method == "POST")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("X-Picket-Box") == "test-box")
            let timestamp = try #require(request.header("X-Picket-Timestamp").flatMap { Int64($0) })
            let expected = HMAC<SHA256>.authenticationCode(
                for: Array("\(timestamp).".utf8) + request.body, using: SymmetricKey(data: Array(f.secret.utf8)))
            #expect(
                request.header("X-Picket-Signature") == "v1=" + expected.map { String(format: "%02x", $0) }.joined())
            let json = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            #expect(json["id"] as? String == request.header("Idempotency-Key"))
            #expect(json["type"] as? String == "status")
            #expect(json["box"] as? String == "test-box")
            #expect(json["sector"] as? String == "test-sector")
            #expect((json["ts"] as? String).flatMap { UTCTime.parse($0) } != nil)
            #expect(json["version"] as? String == PicketVersion.current)
            #expect((json["uptime_s"] as? Int).map { $0 >= 0 } == true)
            let position = try #require(json["position"] as? [String: Any])
            #expect(position["lat"] as? Double == 44.99)
            #expect(position["lon"] as? Double == -73.11)
            let clock = try #require(json["clock"] as? [String: Any])
            #expect(clock["synced"] is Bool || clock["synced"] is NSNull)
            #expect(clock["gps_offset_s"] as? Double == 2.3)
            #expect((json["disk_free_mb"] as? Int).map { $0 > 0 } == true)
            #expect((json["db_mb"] as? Double).map { $0 > 0 } == true)
            let outbox = try #require(json["outbox"] as? [String: Any])
            #expect(outbox["pending"] as? Int == 0)
            #expect(outbox["dead"] as? Int == 0)
            #expect(outbox["oldest_pending_ts"] is NSNull)
            #expect((json["reports_taken"] as? [Any])?.isEmpty == true)
            let sensors = try #require(json["sensors"] as? [[String: Any]])
            #expect(sensors.count == 1)
            let sensor = try #require(sensors.first)
            #expect(sensor["sensor"] as? String == "seis-7")
            #expect(sensor["kind"] as? String == "seismic")
            #expect(sensor["zone"] as? String == "north-fork")
            #expect(sensor["healthy"] as? Bool == true)
            #expect(sensor["detail"] is NSNull)
            for key in ["last_event_ts", "last_heartbeat_ts", "battery_mv", "tamper"] {
                #expect(sensor[key] is NSNull, "\(key)")
            }
        }
        // Delivered statuses do not pile up in the outbox: only the newest stays.
        #expect(try f.store().deliveries().filter { $0.destination == "status" }.count <= 2)
    }

    /// A newer status replaces an older one not yet sent: while the
    /// sector answers 503, statuses keep coming; once it takes them, no
    /// status older than the newest at that moment arrives again.
    @Test func onlyTheNewestStatusWaits() async throws {
        let f = try Fixture()
        // In the store: a second status replaces the first.
        let store = try f.store()
        for n in 1...2 {
            try store.queueReplacing(
                OutboxEntry(
                    id: "status-\(n)", destination: "status", alerts: [], body: "{}", severityRank: -1,
                    createdTs: Int64(n)),
                now: Int64(n))
        }
        #expect(try store.deliveries().map(\.id) == ["status-2"])

        let receiver = try TestReceiver { _, _ in .init(status: 503, body: "down") }
        let configuration = Self.configuration(f, port: receiver.port, interval: 1)
        var older: Set<String> = []
        var flipped = 0
        try await Self.send(
            f, configuration,
            started: { _ in
                try await eventually("two statuses refused", timeout: .seconds(90)) {
                    Set(Self.statuses(receiver).compactMap { $0.header("Idempotency-Key") }).count >= 2
                }
                let keys = Self.statuses(receiver).compactMap { $0.header("Idempotency-Key") }
                var ordered: [String] = []
                for key in keys where !ordered.contains(key) { ordered.append(key) }
                older = Set(ordered.dropLast())
                flipped = receiver.requests.count
                receiver.setScript { _, _ in .init() }
            }
        ) { try f.store().deliveries(states: [.delivered]).contains { $0.destination == "status" } }
        let after = receiver.requests.dropFirst(flipped).compactMap { $0.header("Idempotency-Key") }
        #expect(!after.isEmpty)
        #expect(older.isDisjoint(with: after), "a superseded status was sent after a newer one was queued")
        #expect(try f.store().deliveries().filter { $0.destination == "status" }.count <= 2)
    }

    /// An alert queued at the same time as a status goes first.
    @Test func dueAlertsGoBeforeTheStatus() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        try f.seed((1...3).map { f.alert($0, severity: .low) })
        let configuration = Self.configuration(f, port: receiver.port, interval: 3600)
        try await Self.send(f, configuration) { receiver.requests.count >= 4 }
        #expect(receiver.requests.map(\.uri) == ["/v1/alerts", "/v1/alerts", "/v1/alerts", "/v1/status"])
        let status = try #require(try Self.documents(receiver).first)
        #expect((status["outbox"] as? [String: Any])?["pending"] as? Int != nil)
    }

    /// A report in the sector's answers (to statuses and to an alert) is
    /// stored once as a `report` event with its `reported_ts`, listed in
    /// `reports_taken` of the next status, and not again once that status
    /// was delivered. A malformed answer changes nothing.
    @Test func reportsInAnswersAreStoredOnceAndListedOnce() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { request, _ in
            request.uri == "/v1/status"
                ? .init(body: Self.report)
                : .init(body: request.header("Idempotency-Key") == "alert-1" ? Self.report : "{\"reports\": 5}")
        }
        try f.seed([f.alert(1), f.alert(2)])
        let configuration = Self.configuration(f, port: receiver.port, interval: 1)
        let before = Int64(Date().timeIntervalSince1970 * 1e9)
        try await Self.send(f, configuration) { try Self.documents(receiver).count >= 4 }

        let reports = try f.store().events().filter { $0.source == .report }
        #expect(reports.count == 1)
        let event = try #require(reports.first)
        #expect(event.zone == "north-fork")
        #expect(event.detectionClass == "FOOT")
        #expect(event.note == "two people")
        #expect(event.reportedTs == UTCTime.parse("2026-06-05T03:10:00Z"))
        #expect(event.ts >= before)
        #expect(event.sensor == "report")
        // In the inbox, for the running daemon's rules.
        #expect(try f.store().untakenReports().map(\.id) == [event.id])
        // Listed by exactly one status (the first after it arrived), never again.
        let lists = try Self.documents(receiver).map { ($0["reports_taken"] as? [String]) ?? ["?"] }
        #expect(lists.filter { $0 == ["r-1"] }.count == 1, "\(lists)")
        #expect(lists.allSatisfy { $0 == [] || $0 == ["r-1"] }, "\(lists)")
        let first = try #require(lists.firstIndex(of: ["r-1"]))
        #expect(lists[(first + 1)...].allSatisfy { $0.isEmpty }, "\(lists)")
        #expect(try f.store().deliveries(states: [.delivered]).filter { $0.destination == "sector" }.count == 2)
    }

    /// A round with an alert due sends no status, wherever the queue put it.
    @Test func aRoundSendsAStatusOnlyWhenNothingElseIsDue() {
        // Messages by destination, in the queue's order.
        let status = "status"
        let alert = "sector"
        let text = "sms:North farm"
        let yields = { (destination: String) in destination == "status" }
        #expect(DeliveryService.round([status, alert, text], yields: yields) == [alert, text])
        #expect(DeliveryService.round([alert, status], yields: yields) == [alert])
        #expect(DeliveryService.round([status], yields: yields) == [status])
        #expect(DeliveryService.round([String](), yields: yields).isEmpty)
    }

    @Test func answersAreParsedStrictly() {
        #expect(SectorAnswer.parse("ok") == .none)
        #expect(SectorAnswer.parse("") == .none)
        #expect(SectorAnswer.parse("{\"sid\": \"SM1\"}") == .none)
        #expect(SectorAnswer.parse("{\"reports\": []}") == .reports([]))
        #expect(SectorAnswer.parse("{\"reports\": 5}") == .malformed("reports is not a list"))
        #expect(SectorAnswer.parse("{broken") == .malformed("not a JSON object"))
        #expect(
            SectorAnswer.parse("{\"reports\": [{\"id\": \"r\", \"zone\": \"z\", \"ts\": \"yesterday\"}]}")
                == .malformed("reports[0].ts is not an RFC 3339 time"))
        #expect(
            SectorAnswer.parse(
                "{\"reports\": [{\"id\": \"r\", \"zone\": \"z\", \"class\": null, \"ts\": \"2026-06-05T03:10:00Z\"}]}")
                == .reports([.init(id: "r", zone: "z", ts: UTCTime.parse("2026-06-05T03:10:00Z")!)]))
        // A class outside PRODUCT.md's four is kept as UNK; the spelling's case does not matter.
        let classes = SectorAnswer.parse(
            "{\"reports\": [{\"id\": \"r\", \"zone\": \"z\", \"class\": \"BEAR\", \"ts\": \"2026-06-05T03:10:00Z\"},"
                + " {\"id\": \"s\", \"zone\": \"z\", \"class\": \"veh\", \"ts\": \"2026-06-05T03:10:00Z\"}]}")
        guard case .reports(let reports) = classes else {
            Issue.record("\(classes)")
            return
        }
        #expect(reports.map(\.detectionClass) == ["UNK", "VEH"])
    }

    /// An idle sender sleeps long (here ten minutes), and `nudge()` wakes it.
    /// A status endpoint that takes its time (here 90 s, past nothing the
    /// sender would wait for otherwise): an alert queued meanwhile does not
    /// wait for it (it arrives within the 30 s the test waits, while the
    /// status is still held); the status is set aside and tried again
    /// afterwards. No stopwatch: the held answer is what would make it fail.
    @Test func anAlertDoesNotWaitForASlowStatus() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { request, _ in
            request.uri == "/v1/status" ? .init(delay: .seconds(90)) : .init()
        }
        var settings = Fixture.fastSettings
        settings.requestTimeout = .seconds(120)
        let configuration = Self.configuration(f, port: receiver.port, interval: 3600)
        try await Self.send(
            f, configuration, settings: settings,
            started: { service in
                // The status at start is under way and its answer 90 s off.
                try await eventually("the status under way") { !Self.statuses(receiver).isEmpty }
                try f.seed([f.alert(1, severity: .high)])
                service.nudge()
            }
        ) { receiver.requests.contains { $0.uri == "/v1/alerts" } }
    }

    @Test func aNudgeWakesAnIdleSender() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        var settings = Fixture.fastSettings
        settings.idleNs = 600_000_000_000
        let configuration = Self.configuration(f, port: receiver.port, interval: 0)
        try await Self.send(
            f, configuration, settings: settings,
            started: { service in
                try await Task.sleep(for: .milliseconds(500))
                try f.seed([f.alert(1)])
                service.nudge()
            }
        ) { try f.store().deliveries(states: [.delivered]).count == 1 }
        #expect(receiver.requests.count == 1)
    }

    /// The outcome's write fails (another connection holds the write lock
    /// past the busy timeout while the answer comes): the message does not
    /// stay in flight, the outcome is written once the lock is gone.
    @Test func aFailedOutcomeWriteDoesNotLeaveTheMessageInFlight() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { _, _ in .init(delay: .seconds(2)) }
        try f.seed([f.alert(1)])
        let configuration = Self.configuration(f, port: receiver.port, interval: 0)
        try await Self.send(
            f, configuration,
            started: { _ in
                try await eventually("in flight", timeout: .seconds(90)) {
                    try f.store().deliveries(states: [.inFlight]).count == 1
                }
                let blocker = try SQLiteDatabase(path: f.db)
                try blocker.execute("BEGIN EXCLUSIVE")
                // Longer than three writes wait on the busy timeout.
                try await Task.sleep(for: .milliseconds(Int64(SQLiteDatabase.busyTimeoutMs) * 3 + 3_000))
                #expect(try f.store().deliveries(states: [.delivered]).isEmpty)
                try blocker.execute("COMMIT")
            }
        ) { try f.store().deliveries(states: [.delivered]).count == 1 }
        #expect(try f.store().deliveries(states: [.inFlight]).isEmpty)
        #expect(receiver.requests.count == 1)
    }

    @Test func aRepeatedErrorIsLoggedOncePerInterval() {
        var throttle = LogThrottle(intervalNs: 30_000_000_000)
        let s: Int64 = 1_000_000_000
        var logged: [(Int64, Int)] = []
        for tenth in 0..<700 {
            let now = Int64(tenth) * s / 10
            if let repeats = throttle.admit("outbox unavailable", now: now) { logged.append((now, repeats)) }
        }
        #expect(logged.map(\.0) == [0, 30 * s, 60 * s])
        #expect(logged.map(\.1) == [0, 299, 299])
        #expect(throttle.admit("outbox update failed", now: 70 * s) == 0)
    }
}
