import Crypto
import Foundation
import Logging
import NIOCore
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

@testable import PicketDelivery

/// The sector forwarder against a real HTTP server on 127.0.0.1: what it
/// sends (signature, timestamp, idempotency key, body) and what it does with
/// every kind of failure, checked in the outbox of a real SQLite file.
@Suite struct SectorDeliveryTests {
    @Test func alertsArriveSignedOnceEachWithTheirKey() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        let alerts = (1...5).map { f.alert($0) }
        try f.seed(alerts)
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.delivered]).count == 5 }

        #expect(receiver.requests.count == 5)
        #expect(receiver.uniqueKeys == Set(alerts.map(\.id)))
        for request in receiver.requests {
            #expect(request.method == "POST")
            #expect(request.header("Content-Type") == "application/json")
            let timestamp = try #require(request.header("X-Picket-Timestamp").flatMap { Int64($0) })
            #expect(abs(timestamp - Int64(Date().timeIntervalSince1970)) < 120)
            // The receiver's check: HMAC-SHA256 of "<timestamp>.<body>" under the shared secret.
            let expected = HMAC<SHA256>.authenticationCode(
                for: Array("\(timestamp).".utf8) + request.body, using: SymmetricKey(data: Array(f.secret.utf8)))
            #expect(
                request.header("X-Picket-Signature") == "v1=" + expected.map { String(format: "%02x", $0) }.joined())
            let json = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
            #expect(json?["id"] as? String == request.header("Idempotency-Key"))
            #expect(json?["rule"] as? String == "crossing")
            #expect(json?["first_ts"] as? String != nil)
        }
        let stored = try f.store().alerts()
        #expect(stored.allSatisfy { $0.delivery == "delivered" })
    }

    /// A backlog goes out most severe first, then oldest.
    @Test func aBacklogDrainsBySeverityThenAge() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        let alerts = [
            f.alert(1, severity: .low), f.alert(2, severity: .critical), f.alert(3, severity: .high),
            f.alert(4, severity: .critical), f.alert(5, severity: .medium),
        ]
        try f.seed(alerts)
        try await f.deliver(to: receiver) { receiver.requests.count == 5 }
        let order = receiver.requests.compactMap { $0.header("Idempotency-Key") }
        #expect(order == [2, 4, 3, 5, 1].map { f.alert($0).id })
    }

    /// A backlog of thousands drains no faster than the spacing allows, most
    /// severe first, while ingest keeps committing batches on its own
    /// connection: no write fails or waits out the busy timeout.
    @Test func aBacklogOfThousandsDrainsBesideIngest() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver()
        let count = 2000
        let alerts = (0..<count).map { f.alert($0, severity: $0 % 10 == 0 ? .critical : .low) }
        try f.seed(alerts)
        var settings = Fixture.fastSettings
        settings.spacingNs = 2_000_000
        let ingest = Task.detached { () throws -> Int in
            let store = try f.store()
            var batches = 0
            while !Task.isCancelled {
                let events = (0..<50).map { n in
                    Event(
                        id: "ingest-\(batches)-\(n)", box: "test-box", sector: "test-sector", sensor: "pir-1",
                        kind: .pir, zone: "north-fork", source: .gpio, state: .active,
                        ts: f.epoch + Int64(batches * 50 + n), episode: "ingest-\(batches)-\(n)")
                }
                try store.write(StoreBatch(events: events), run: "ingest", now: f.epoch)
                batches += 1
                try? await Task.sleep(for: .milliseconds(20))
            }
            return batches
        }
        let start = Date()
        // Until the outbox has every outcome too: stopping the sender the
        // moment the receiver has the last request would leave that one
        // "interrupted by shutdown", pending.
        try await f.deliver(to: receiver, settings: settings, timeout: .seconds(120)) {
            try receiver.uniqueKeys.count == count && f.store().deliveries(states: [.delivered]).count == count
        }
        let elapsed = Date().timeIntervalSince(start)
        ingest.cancel()
        let batches = try await ingest.value
        print("backlog: \(count) alerts in \(elapsed) s beside \(batches) ingest commits")

        #expect(elapsed >= Double(count) * 0.002)
        #expect(receiver.requests.count == count)
        let critical = Set(alerts.filter { $0.severity == .critical }.map(\.id))
        let keys = receiver.requests.compactMap { $0.header("Idempotency-Key") }
        #expect(Set(keys.prefix(critical.count)) == critical)
        #expect(keys.dropFirst(critical.count).elementsEqual(alerts.filter { $0.severity == .low }.map(\.id)))
        #expect(batches > 10)
        #expect(try f.store().events().count == batches * 50)
        #expect(try f.store().deliveries(states: [.delivered]).count == count)
    }

    @Test func a500IsRetriedUntilItIsTaken() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { _, n in n < 2 ? .init(status: 500, body: "database down") : .init() }
        try f.seed([f.alert(1)])
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.delivered]).count == 1 }
        #expect(receiver.requests.count == 3)
        #expect(receiver.uniqueKeys.count == 1)
        let delivery = try #require(try f.store().deliveries().first)
        #expect(delivery.attempts == 3)
        #expect(delivery.lastStatus == 200)
    }

    /// 429 with `Retry-After: 2` is retried no sooner than two seconds later,
    /// although the test's backoff would come back within milliseconds.
    @Test func retryAfterIsHonoured() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { _, n in
            n == 0 ? .init(status: 429, headers: [("Retry-After", "2")], body: "slow down") : .init()
        }
        try f.seed([f.alert(1)])
        let start = Date()
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.delivered]).count == 1 }
        #expect(receiver.requests.count == 2)
        #expect(Date().timeIntervalSince(start) >= 2)
    }

    /// A 400 is final: onto the dead-letter list with status and body, never
    /// sent again, until `retryDead` puts it back.
    @Test func a400GoesToTheDeadLetterListAndCanBeRetried() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { _, n in
            n == 0 ? .init(status: 400, body: "{\"error\":\"bad zone\"}") : .init()
        }
        let alert = f.alert(1)
        try f.seed([alert])
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.dead]).count == 1 }
        let dead = try #require(try f.store().deliveries(states: [.dead]).first)
        #expect(dead.lastStatus == 400)
        #expect(dead.lastResponse == "{\"error\":\"bad zone\"}")
        #expect(try f.store().alerts(deliveries: ["dead"]).map(\.alert.id) == [alert.id])
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.requests.count == 1)

        #expect(try f.store().retryDead(alert.id) == 1)
        #expect(try f.store().alerts(deliveries: ["pending"]).count == 1)
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.delivered]).count == 1 }
        #expect(receiver.requests.count == 2)
    }

    /// A 2xx is delivered whatever its body: a megabyte of it (more than
    /// the 64 KiB the sender reads) is cut off, not a reason to POST again.
    @Test func a2xxWithAMegabyteBodyIsDeliveredOnce() async throws {
        let f = try Fixture()
        let megabyte = String(repeating: "0123456789abcdef", count: 65_536)
        let receiver = try TestReceiver { _, _ in .init(status: 200, body: megabyte) }
        try f.seed([f.alert(1)])
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.delivered]).count == 1 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.requests.count == 1)
        let delivery = try #require(try f.store().deliveries().first)
        #expect(delivery.attempts == 1)
        #expect(delivery.lastStatus == 200)
        #expect(try f.store().alerts().map(\.delivery) == ["delivered"])
    }

    /// A 4xx with a big body is dead at once, with the body's start as the
    /// reason, however long the rest.
    @Test func a4xxWithABigBodyIsDeadWithItsStart() async throws {
        let f = try Fixture()
        let body = "{\"error\":\"unknown zone north-fork\"}" + String(repeating: " ", count: 1_048_576)
        let receiver = try TestReceiver { _, _ in .init(status: 422, body: body) }
        try f.seed([f.alert(1)])
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.dead]).count == 1 }
        let dead = try #require(try f.store().deliveries(states: [.dead]).first)
        #expect(dead.lastStatus == 422)
        #expect(dead.lastResponse?.hasPrefix("{\"error\":\"unknown zone north-fork\"}") == true)
        #expect((dead.lastResponse?.count ?? .max) <= 503)
        #expect(receiver.requests.count == 1)
    }

    /// A redirect is a URL to correct, not a reason to POST again: dead at
    /// once, with where it points and which setting to change.
    @Test func aRedirectIsDeadWithItsLocation() async throws {
        let f = try Fixture()
        let receiver = try TestReceiver { _, _ in
            .init(status: 307, headers: [("Location", "https://sector.example/v2/alerts")], body: "moved")
        }
        try f.seed([f.alert(1)])
        try await f.deliver(to: receiver) { try f.store().deliveries(states: [.dead]).count == 1 }
        let dead = try #require(try f.store().deliveries(states: [.dead]).first)
        #expect(dead.lastStatus == 307)
        let response = try #require(dead.lastResponse)
        #expect(response.contains("redirected to https://sector.example/v2/alerts"), "\(response)")
        #expect(response.contains("forward.url"), "\(response)")
        #expect(try f.store().alerts(deliveries: ["dead"]).map(\.alert.id) == [f.alert(1).id])
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.requests.count == 1)
    }

    /// Refused connections and a response slower than the request timeout
    /// keep the alert pending, with the reason, and it goes out once the
    /// endpoint answers.
    @Test func refusedAndSlowEndpointsKeepItPending() async throws {
        let f = try Fixture()
        try f.seed([f.alert(1)])
        let closed = try TestReceiver.closedPort()
        try await f.deliver(toPort: closed) { (try f.store().deliveries().first?.attempts ?? 0) >= 2 }
        let refused = try #require(try f.store().deliveries().first)
        #expect(refused.state == .pending)
        #expect(refused.lastStatus == nil)
        #expect(refused.lastResponse?.isEmpty == false)

        let slow = try TestReceiver { _, n in n == 0 ? .init(delay: .seconds(3)) : .init() }
        var settings = Fixture.fastSettings
        settings.requestTimeout = .milliseconds(500)
        try await f.deliver(to: slow, settings: settings) {
            try f.store().deliveries(states: [.delivered]).count == 1
        }
        #expect(slow.requests.count == 2)
        #expect(slow.uniqueKeys.count == 1)
    }

    @Test func aWorldReadableSecretIsRefused() throws {
        let f = try Fixture()
        chmod(f.secretPath, 0o644)
        #expect(throws: SecretFileError.self) {
            _ = try DeliveryService(
                configuration: f.configuration(url: "http://127.0.0.1:1/"), databasePath: f.db, logger: f.logger,
                exercise: false, clock: SystemClock())
        }
        do {
            _ = try Secrets.read(f.secretPath, key: "forward.secret_file")
        } catch {
            #expect(error.description.hasPrefix("\(f.secretPath) (forward.secret_file): is readable by every user"))
        }
    }

    /// The backoff's schedule is tested through the sender (BackoffScheduleTests).
    @Test func responsesDecideAndRetryAfterParses() {
        var random = SystemRandomNumberGenerator()
        let policy = DeliveryPolicy.standard
        #expect(policy.outcome(status: 204, retryAfter: nil, attempt: 1, nowNs: 0, using: &random) == .delivered)
        #expect(policy.outcome(status: 404, retryAfter: nil, attempt: 1, nowNs: 0, using: &random) == .dead)
        for redirect in [301, 302, 303, 307, 308] {
            #expect(policy.outcome(status: redirect, retryAfter: nil, attempt: 1, nowNs: 0, using: &random) == .dead)
        }
        #expect(
            policy.outcome(status: 503, retryAfter: "7", attempt: 1, nowNs: 5, using: &random)
                == .retry(atNs: 7_000_000_005))
        if case .retry = policy.outcome(status: 408, retryAfter: nil, attempt: 1, nowNs: 0, using: &random) {
        } else {
            Issue.record("408 must be retried")
        }
        let now = UTCTime.parse("2026-06-05T03:12:00Z")!
        #expect(DeliveryPolicy.retryAfterNs("Fri, 05 Jun 2026 03:14:00 GMT", nowNs: now) == 120_000_000_000)
        #expect(DeliveryPolicy.retryAfterNs("soon", nowNs: now) == nil)
    }
}

/// A temporary database, secret and configuration for one test.
struct Fixture {
    static let fastSettings: DeliveryService.Settings = {
        var s = DeliveryService.Settings()
        s.policy = DeliveryPolicy(
            backoff: RetryPolicy(initialNs: 20_000_000, maximumNs: 100_000_000, jitter: .full, minimumNs: 100_000_000))
        s.spacingNs = 1_000_000
        s.idleNs = 20_000_000
        s.connectTimeout = .seconds(2)
        s.requestTimeout = .seconds(5)
        return s
    }()

    let dir: URL
    let db: String
    let secretPath: String
    let secret = "correct horse battery staple"
    let logger: Logger = {
        var logger = Logger(label: "picket-delivery-test")
        logger.logLevel = .critical
        return logger
    }()

    init() throws {
        dir = try temporaryDirectory("picket-delivery")
        db = dir.appendingPathComponent("outbox.db").path
        secretPath = dir.appendingPathComponent("sector.key").path
        try (secret + "\n").write(toFile: secretPath, atomically: true, encoding: .utf8)
        chmod(secretPath, 0o600)
    }

    func store() throws -> Store { try Store(path: db) }

    func configuration(
        url: String, format: ForwardConfig.Format = .json, caFile: String? = nil,
        capRadiusM: Int = ForwardConfig.defaultCAPRadiusM
    ) -> PicketConfiguration {
        PicketConfiguration(
            box: "test-box", sector: "test-sector",
            // No statuses: these tests count the alerts' requests.
            forward: ForwardConfig(
                url: url, secretFile: secretPath, format: format, caFile: caFile, statusIntervalS: 0,
                capRadiusM: capRadiusM))
    }

    /// When the fixture was made: alerts are `n` seconds after it.
    let epoch = Int64(Date().timeIntervalSince1970) * 1_000_000_000 - 3_600_000_000_000

    /// An alert `n` seconds after the fixture's epoch, in zone north-fork.
    func alert(_ n: Int, severity: Severity = .high) -> Alert {
        let t = epoch + Int64(n) * 1_000_000_000
        return Alert(
            id: "alert-\(n)", rule: "crossing", severity: severity, box: "test-box", sector: "test-sector",
            zone: "north-fork", firstTs: t, lastTs: t + 1_000_000_000, direction: nil, events: ["event-\(n)"],
            position: Position(lat: 44.99, lon: -73.11), summary: "crossing: pir + seismic in north-fork")
    }

    /// Stores alerts with their sector deliveries, as a live batch does.
    func seed(_ alerts: [Alert]) throws {
        var batch = StoreBatch(alerts: alerts)
        batch.outbox = alerts.map(SectorDestination.entry)
        try store().write(batch, run: "test", now: Int64(Date().timeIntervalSince1970 * 1e9))
    }

    func deliver(
        to receiver: TestReceiver, scheme: String = "http", settings: DeliveryService.Settings = fastSettings,
        format: ForwardConfig.Format = .json, caFile: String? = nil, exercise: Bool = false,
        capRadiusM: Int = ForwardConfig.defaultCAPRadiusM, timeout: Duration = .seconds(90),
        until done: () throws -> Bool
    ) async throws {
        try await deliver(
            url: "\(scheme)://127.0.0.1:\(receiver.port)/alerts", settings: settings, format: format, caFile: caFile,
            exercise: exercise, capRadiusM: capRadiusM, timeout: timeout, until: done)
    }

    func deliver(toPort port: Int, until done: () throws -> Bool) async throws {
        try await deliver(url: "http://127.0.0.1:\(port)/alerts", settings: Self.fastSettings, until: done)
    }

    /// Runs a sender on the outbox until `done` holds (`timeout` at most), then stops it.
    func deliver(
        url: String, settings: DeliveryService.Settings, format: ForwardConfig.Format = .json, caFile: String? = nil,
        exercise: Bool = false, capRadiusM: Int = ForwardConfig.defaultCAPRadiusM, timeout: Duration = .seconds(90),
        until done: () throws -> Bool
    ) async throws {
        let service = try DeliveryService(
            configuration: configuration(url: url, format: format, caFile: caFile, capRadiusM: capRadiusM),
            databasePath: db, logger: logger, settings: settings, exercise: exercise,
            clock: SystemClock())
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await eventually("deliveries done", timeout: timeout, done)
        task.cancel()
        try await task.value
    }
}
