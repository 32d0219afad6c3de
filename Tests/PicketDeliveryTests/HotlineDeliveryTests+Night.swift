import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

@testable import PicketDelivery

/// Texts across the night Berlin's clocks go back, and texts the gateway
/// refuses: end to end through the sender, on the virtual clock.
extension HotlineDeliveryTests {
    /// Quiet 22:00-06:00 on Berlin's clock, in zone `gate`, no cap.
    static let berliner = Subscriber(
        name: "Hof Nord", phone: "+4915155501234", zones: ["gate"], minSeverity: .medium,
        quietHours: Subscriber.QuietHours(startMinute: 22 * 60, endMinute: 6 * 60), maxPerHour: nil)

    /// 2026-10-25: at 03:00 CEST (01:00Z) Berlin's clocks go back to 02:00
    /// CET, so 02:30 comes twice and quiet hours end at 06:00 CET, 05:00Z
    /// (a planner that kept the evening's offset would end them at 04:00Z).
    /// Alerts before, during (on both sides of the change) and after; the
    /// texts carry CEST before the change and CET after it.
    @Test func quietHoursAcrossTheNightTheClocksGoBack() async throws {
        let desk = try Desk(start: "2026-10-24T19:30:00Z", subscriber: Self.berliner)
        let receiver = try TestReceiver { _, _ in .init(status: 201, body: "{\"sid\":\"SM1\"}") }
        let task = try desk.start(receiver, timeZone: "Europe/Berlin")
        defer { task.cancel() }
        func bodies() -> [String] { receiver.requests.map { Self.form($0.text)["Body"] ?? "" } }
        func settle() async throws { try await Task.sleep(for: .milliseconds(400)) }

        // 21:30 CEST: before quiet hours, at once.
        try desk.raise("before", .high, zone: "gate")
        try await eventually("the evening text") { receiver.requests.count == 1 }
        #expect(
            bodies()[0]
                == "Picket alerts from sector test-sector; reply STOP to stop. "
                + "Picket: someone on foot in gate, Sat 24 Oct 21:30 CEST. Call +18025550111")

        // 23:00 CEST, 02:30 CEST (the first 02:30), 02:30 CET (the second): held.
        desk.clock.set("2026-10-24T21:00:00Z")
        try desk.raise("q1", .high, zone: "gate")
        desk.clock.set("2026-10-25T00:30:00Z")
        try desk.raise("q2", .high, zone: "gate", class: "VEH")
        // 02:15 CET: critical, never held, and already in CET.
        desk.clock.set("2026-10-25T01:15:00Z")
        try desk.raise("urgent", .critical, zone: "gate", class: "ANIM")
        try await eventually("the critical text") { receiver.requests.count == 2 }
        #expect(bodies()[1] == "URGENT Picket: an animal in gate, Sun 25 Oct 02:15 CET. Call +18025550111")
        desk.clock.set("2026-10-25T01:30:00Z")
        try desk.raise("q3", .high, zone: "gate", class: nil)
        try await settle()
        #expect(receiver.requests.count == 2)
        #expect(try desk.held() == ["q1", "q2", "q3"])

        // 04:00Z is 06:00 on the evening's offset but 05:00 CET: still quiet; so is 05:59 CET.
        for time in ["2026-10-25T04:00:00Z", "2026-10-25T04:59:00Z"] {
            desk.clock.set(time)
            try await settle()
            #expect(receiver.requests.count == 2, "released at \(time)")
            #expect(try desk.held() == ["q1", "q2", "q3"], "at \(time)")
        }

        // 06:00 CET: one digest of the night, each time with its own abbreviation.
        desk.clock.set("2026-10-25T05:00:00Z")
        try await eventually("the morning digest") { receiver.requests.count == 3 }
        #expect(
            bodies()[2]
                == "Picket: 3 alerts since Sat 24 Oct 23:00 CEST: someone on foot gate 23:00, a vehicle gate 02:30, "
                + "motion gate 02:30 CET. Call +18025550111")
        #expect(try desk.held().isEmpty)

        // 07:00 CET: after quiet hours, at once.
        desk.clock.set("2026-10-25T06:00:00Z")
        try desk.raise("after", .high, zone: "gate")
        try await eventually("the morning text") { receiver.requests.count == 4 }
        #expect(bodies()[3] == "Picket: someone on foot in gate, Sun 25 Oct 07:00 CET. Call +18025550111")
        try await eventually("four texts delivered") {
            try desk.f.store().deliveries(states: [.delivered]).count == 4
        }
        task.cancel()
        try await task.value
    }

    /// 2026-03-29: at 02:00 CET (01:00Z) Berlin's clocks jump to 03:00
    /// CEST, so quiet hours end at 06:00 CEST, 04:00Z (on the evening's
    /// offset they would end an hour later).
    @Test func quietHoursAcrossTheNightTheClocksGoForward() async throws {
        let desk = try Desk(start: "2026-03-28T22:00:00Z", subscriber: Self.berliner)
        let receiver = try TestReceiver { _, _ in .init(status: 201, body: "{\"sid\":\"SM1\"}") }
        let task = try desk.start(receiver, timeZone: "Europe/Berlin")
        defer { task.cancel() }
        func bodies() -> [String] { receiver.requests.map { Self.form($0.text)["Body"] ?? "" } }

        // 23:00 CET: held.
        try desk.raise("night", .high, zone: "gate")
        // 05:59 CEST, 03:59Z: still quiet.
        desk.clock.set("2026-03-29T03:59:00Z")
        try await Task.sleep(for: .milliseconds(400))
        #expect(receiver.requests.isEmpty)
        #expect(try desk.held() == ["night"])

        // 06:00 CEST: the night's one alert, as its own text, with the evening's CET.
        desk.clock.set("2026-03-29T04:00:00Z")
        try await eventually("the morning text") { receiver.requests.count == 1 }
        #expect(
            bodies()[0]
                == "Picket alerts from sector test-sector; reply STOP to stop. "
                + "Picket: someone on foot in gate, Sat 28 Mar 23:00 CET. Call +18025550111")
        desk.clock.set("2026-03-29T04:10:00Z")
        try desk.raise("morning", .high, zone: "gate", class: "VEH")
        try await eventually("the next text") { receiver.requests.count == 2 }
        #expect(bodies()[1] == "Picket: a vehicle in gate, Sun 29 Mar 06:10 CEST. Call +18025550111")
        task.cancel()
        try await task.value
    }

    /// A gateway that refuses a text (400 with its reason, 401 for wrong
    /// credentials) puts it on the dead-letter list at once, never retried;
    /// `picket alerts --dead` shows it with the answer, and `--retry` of
    /// its id's prefix (or its alert's id) sends it again once the gateway
    /// takes it.
    @Test func aGatewayRefusalIsDeadUntilRetried() async throws {
        let plain = Subscriber(
            name: "North farm", phone: "+18025550100", zones: ["north-fork"], minSeverity: .high, quietHours: nil,
            maxPerHour: nil)
        let desk = try Desk(subscriber: plain)
        let refusal = "{\"code\":21211,\"message\":\"The 'To' number is not a valid phone number.\"}"
        let receiver = try TestReceiver { _, n in
            switch n {
            case 0: .init(status: 400, body: refusal)
            case 1: .init(status: 401, body: "Authenticate")
            default: .init(status: 201, body: "{\"sid\":\"SM1\"}")
            }
        }
        let task = try desk.start(receiver)
        defer { task.cancel() }

        try desk.raise("t1", .high)
        try await eventually("the first text dead") { try desk.f.store().deliveries(states: [.dead]).count == 1 }
        try desk.raise("t2", .critical)
        try await eventually("the second text dead") { try desk.f.store().deliveries(states: [.dead]).count == 2 }
        // Dead is final: two hours later (past any backoff) nothing went again.
        desk.clock.set("2026-06-06T01:00:00Z")
        try await Task.sleep(for: .milliseconds(400))
        #expect(receiver.requests.count == 2)
        let dead = try desk.f.store().deliveries(states: [.dead])
        #expect(dead.map(\.alerts) == [["t1"], ["t2"]])
        #expect(dead.map(\.lastStatus) == [400, 401])
        #expect(dead.map(\.attempts) == [1, 1])
        #expect(dead.first?.lastResponse == refusal)

        let listed = try await DeliveryCLITests.picket(["alerts", "--dead", "--db", desk.f.db])
        #expect(listed.status == 0, "\(listed.err)")
        let rows = listed.out.split(separator: "\n").filter { $0.contains("sms:North farm") }
        #expect(rows.count == 2, "\(listed.out)")
        #expect(listed.out.contains("400") && listed.out.contains("not a valid phone number"), "\(listed.out)")
        #expect(listed.out.contains("401") && listed.out.contains("Authenticate"), "\(listed.out)")

        // The first by a prefix of its text's id, the second by its alert's id.
        let first = try #require(dead.first)
        let byPrefix = try await DeliveryCLITests.picket(
            ["alerts", "--retry", String(first.id.prefix(8)), "--db", desk.f.db])
        #expect(byPrefix.status == 0, "\(byPrefix.err)")
        try await eventually("the first text delivered") {
            try desk.f.store().deliveries(states: [.delivered]).map(\.id) == [first.id]
        }
        let byAlert = try await DeliveryCLITests.picket(["alerts", "--retry", "t2", "--db", desk.f.db])
        #expect(byAlert.status == 0, "\(byAlert.err)")
        try await eventually("both texts delivered") {
            try desk.f.store().deliveries(states: [.delivered]).count == 2
        }
        #expect(receiver.requests.count == 4)
        // The same text went again: same body, same idempotency key.
        #expect(receiver.requests[2].text == receiver.requests[0].text)
        #expect(receiver.requests[2].header("Idempotency-Key") == first.id)
        #expect(try desk.f.store().deliveries(states: [.dead]).isEmpty)
        task.cancel()
        try await task.value
    }

    /// The desk reads the zone's abbreviations from the tz database
    /// (`$TZDIR`, else /usr/share/zoneinfo); without the file a text gives
    /// the offset, and a name that climbs out of the directory reads nothing.
    @Test func theDeskReadsTheZonesNamesFromTheTZDatabase() throws {
        let hotline = HotlineConfig(
            url: "http://127.0.0.1:9/Messages", from: "+18025550199", credentialsFile: "/nonexistent",
            subscribers: [])
        let winter = try #require(UTCTime.parse("2026-12-06T13:05:00Z"))
        let desk = HotlineDesk(hotline: hotline, timeZoneName: "Europe/Berlin", sector: "swanton")
        #expect(desk.clock.stamp(winter) == "Sun 6 Dec 14:05 CET")
        let utc = HotlineDesk(hotline: hotline, timeZoneName: "UTC", sector: "swanton")
        #expect(utc.clock.stamp(winter) == "Sun 6 Dec 13:05 UTC")

        let empty = try temporaryDirectory("picket-tzdir")
        #expect(HotlineDesk.zoneNames("Europe/Berlin", environment: ["TZDIR": empty.path]) == nil)
        #expect(HotlineDesk.zoneNames("Europe/Berlin", environment: ["TZDIR": "/usr/share/zoneinfo"]) != nil)
        #expect(HotlineDesk.zoneNames("../../../etc/passwd") == nil)
        #expect(HotlineDesk.zoneNames("/etc/passwd") == nil)
        let without = LocalClock(timeZone: try #require(TimeZone(identifier: "Europe/Berlin")), names: nil)
        #expect(without.stamp(winter) == "Sun 6 Dec 14:05 UTC+01:00")
    }
}
