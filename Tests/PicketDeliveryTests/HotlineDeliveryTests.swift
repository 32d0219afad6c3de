import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Synchronization
import Testing

@testable import PicketDelivery

/// Landowner texts end to end, on a virtual clock: matched alerts held in
/// the database, planned into texts (quiet hours, the hourly cap, the
/// digest), sent as the Messages API form with basic auth to a real server.
@Suite struct HotlineDeliveryTests {
    /// A settable UTC wall clock the sender reads instead of the system's;
    /// its sleeps (the sender's spacing and idle waits) are real ones.
    final class VirtualClock: PicketClock {
        let ns: Atomic<Int64>
        init(_ start: Int64) { ns = Atomic(start) }
        func set(_ time: String) { ns.store(UTCTime.parse(time)!, ordering: .relaxed) }
        var now: Int64 { ns.load(ordering: .relaxed) }
        func wallNs() -> Int64 { now }
        func monotonicNs() -> Int64 { SystemClock().monotonicNs() }
        func sleep(untilMonotonic deadline: Int64) async throws {
            try await SystemClock().sleep(untilMonotonic: deadline)
        }
    }

    static let subscriber = Subscriber(
        name: "North farm", phone: "+18025550100", zones: ["north-fork"], minSeverity: .high,
        quietHours: Subscriber.QuietHours(startMinute: 22 * 60, endMinute: 6 * 60), maxPerHour: 2)

    struct Desk {
        let f: Fixture
        let clock: VirtualClock
        let credentials: String
        let subscriber: Subscriber

        init(start: String = "2026-06-05T23:00:00Z", subscriber: Subscriber = HotlineDeliveryTests.subscriber) throws {
            f = try Fixture()
            clock = VirtualClock(UTCTime.parse(start)!)
            self.subscriber = subscriber
            credentials = f.dir.appendingPathComponent("hotline.cred").path
            try "AC123:s3cret\n".write(toFile: credentials, atomically: true, encoding: .utf8)
            chmod(credentials, 0o600)
        }

        func configuration(_ receiver: TestReceiver, scheme: String = "http", timeZone: String = "UTC")
            -> PicketConfiguration
        {
            var c = PicketConfiguration(box: "test-box", sector: "test-sector")
            c.hotline = HotlineConfig(
                url: "\(scheme)://127.0.0.1:\(receiver.port)/2010-04-01/Messages", from: "+18025550199",
                credentialsFile: credentials, subscribers: [subscriber], contact: "+18025550111")
            c.timeZone = timeZone
            return c
        }

        /// The sender on the virtual clock, running until the test ends.
        func start(_ receiver: TestReceiver, timeZone: String = "UTC") throws -> Task<Void, any Error> {
            let clock = clock
            let service = try DeliveryService(
                configuration: configuration(receiver, timeZone: timeZone), databasePath: f.db, logger: f.logger,
                settings: Fixture.fastSettings, exercise: false, clock: clock)
            return Task { try await service.run() }
        }

        /// Alerts at the virtual now, in one batch, each with its event
        /// (a ground sensor's detection of `classes[i]`, nil for none), held
        /// for the subscriber where they match (as a live batch does). The
        /// i-th of n alerts began n - 1 - i minutes before now.
        func raise(
            _ ids: [String], _ severity: Severity, zone: String = "north-fork", classes: [String?]? = nil
        ) throws {
            let now = clock.now
            let events = ids.enumerated().map { i, id in
                let detectionClass: String? = classes.map { $0[i] } ?? "FOOT"
                return Event(
                    id: "e-\(id)", box: "test-box", sector: "test-sector", sensor: "seis-7", kind: .seismic, zone: zone,
                    source: .serial, state: .active, ts: now - Int64(ids.count - 1 - i) * 60_000_000_000,
                    episode: "e-\(id)", detectionClass: detectionClass, strength: 60)
            }
            let alerts = zip(ids, events).map { id, event in
                Alert(
                    id: id, rule: "detection", severity: severity, box: "test-box", sector: "test-sector", zone: zone,
                    firstTs: event.ts, lastTs: now, direction: nil, events: [event.id], position: nil,
                    summary: "seismic seis-7 in \(zone)")
            }
            var batch = StoreBatch(events: events, alerts: alerts)
            for alert in alerts where HotlinePlanner.matches(alert, subscriber) {
                batch.hotlineMatches.append((subscriber.name, alert.id))
            }
            try f.store().write(batch, run: "test", now: now)
        }

        func raise(_ id: String, _ severity: Severity, zone: String = "north-fork", class: String? = "FOOT") throws {
            try raise([id], severity, zone: zone, classes: [`class`])
        }

        func held() throws -> [String] { try f.store().heldAlerts(subscriber: subscriber.name).map(\.id) }
    }

    @Test func quietHoursTheCapAndTheDigest() async throws {
        let desk = try Desk()
        let receiver = try TestReceiver { _, _ in .init(status: 201, body: "{\"sid\":\"SM1\"}") }
        let clock = desk.clock
        let task = try desk.start(receiver)
        defer { task.cancel() }
        func texts() -> [[String: String]] { receiver.requests.map { Self.form($0.text) } }

        // 23:00, quiet hours: the high alert waits, the critical one goes now;
        // a low one and one in another zone are not this landowner's.
        try desk.raise("a1", .high)
        try desk.raise("a2", .critical, class: "VEH")
        try desk.raise("a3", .low)
        try desk.raise("a4", .high, zone: "south-gate")
        try await eventually("the critical text", timeout: .seconds(90)) { receiver.requests.count == 1 }
        let critical = try #require(receiver.requests.first)
        #expect(critical.header("Authorization") == "Basic " + Data("AC123:s3cret".utf8).base64EncodedString())
        #expect(critical.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(critical.text.hasPrefix("To=%2B18025550100&From=%2B18025550199&Body="))
        // The subscriber's first text says who sends it and how to stop; every text ends with the contact.
        #expect(
            texts()[0]["Body"]
                == "Picket alerts from sector test-sector; reply STOP to stop. "
                + "URGENT Picket: a vehicle in north-fork, Fri 5 Jun 23:00 UTC. Call +18025550111")
        #expect(critical.uri == "/2010-04-01/Messages")
        try await Task.sleep(for: .milliseconds(200))
        #expect(receiver.requests.count == 1)
        #expect(try desk.held() == ["a1"])

        // 06:05: quiet hours are over; the one held alert goes out on its own.
        clock.set("2026-06-06T06:05:00Z")
        try await eventually("the morning text", timeout: .seconds(90)) { receiver.requests.count == 2 }
        #expect(texts()[1]["Body"] == "Picket: someone on foot in north-fork, Fri 5 Jun 23:00 UTC. Call +18025550111")
        #expect(try desk.held().isEmpty)

        // 06:10: three at once, one text left in the hour (max 2): one
        // digest, naming each alert in its own words, zone and time.
        clock.set("2026-06-06T06:10:00Z")
        try desk.raise(["b1", "b2", "b3"], .high, classes: ["FOOT", "VEH", nil])
        try await eventually("the digest", timeout: .seconds(90)) { receiver.requests.count == 3 }
        #expect(
            texts()[2]["Body"]
                == "Picket: 3 alerts since Sat 6 Jun 06:08 UTC: someone on foot north-fork 06:08, "
                + "a vehicle north-fork 06:09, motion north-fork 06:10. Call +18025550111")
        #expect(try desk.f.store().deliveries().last?.alerts == ["b1", "b2", "b3"])

        // 06:20: the hour is full; this one waits until 07:05 frees a text.
        clock.set("2026-06-06T06:20:00Z")
        try desk.raise("c1", .high, class: "ANIM")
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.requests.count == 3)
        #expect(try desk.held() == ["c1"])
        clock.set("2026-06-06T07:06:00Z")
        try await eventually("the held text", timeout: .seconds(90)) { receiver.requests.count == 4 }
        #expect(texts()[3]["Body"] == "Picket: an animal in north-fork, Sat 6 Jun 06:20 UTC. Call +18025550111")

        try await eventually("four texts delivered", timeout: .seconds(90)) {
            try desk.f.store().deliveries(states: [.delivered]).count == 4
        }
        let sent = try desk.f.store().deliveries(states: [.delivered])
        #expect(sent.allSatisfy { $0.destination == "sms:North farm" && $0.lastStatus == 201 })
        #expect(Set(receiver.requests.compactMap { $0.header("Idempotency-Key") }).count == 4)
        task.cancel()
        try await task.value
    }

    /// A gateway whose certificate the system does not trust: the text
    /// waits, and its outbox row names the setting that fixes it.
    @Test func anUntrustedGatewayNamesHotlineCAFile() async throws {
        let desk = try Desk()
        let certs = try TLSAndCAPTests.makeCertificates(in: desk.f.dir)
        let receiver = try TLSAndCAPTests.tlsReceiver(certs)
        let clock = desk.clock
        let service = try DeliveryService(
            configuration: desk.configuration(receiver, scheme: "https"), databasePath: desk.f.db,
            logger: desk.f.logger, settings: Fixture.fastSettings, exercise: false, clock: clock)
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try desk.raise("a1", .critical)
        // The virtual clock stands still: one attempt, then the text waits.
        var text: Delivery?
        try await eventually("an attempt at the text", timeout: .seconds(90)) {
            text = try desk.f.store().deliveries().first { $0.destination.hasPrefix("sms:") && $0.attempts >= 1 }
            return text?.lastResponse != nil
        }
        task.cancel()
        try await task.value
        #expect(text?.state == .pending)
        #expect(text?.lastResponse == "certificate not trusted (set hotline.ca_file)")
        #expect(receiver.requests.isEmpty)
    }

    /// Decodes application/x-www-form-urlencoded.
    static func form(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if parts.count == 2 { out[parts[0]] = parts[1] }
        }
        return out
    }

    @Test func formEncodingEscapesWhatItMust() {
        #expect(OutgoingRequest.formEncode("+1 802 & =x/é") == "%2B1+802+%26+%3Dx%2F%C3%A9")
    }
}
