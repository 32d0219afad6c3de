import Foundation
import PicketCore
import Testing

/// PRODUCT.md section 7: which texts a landowner gets and when, on a virtual
/// clock: plain Int64 times, fed back in as the caller would after sending.
@Suite("HotlinePlanner")
struct HotlinePlannerTests {
    static let s: Int64 = 1_000_000_000
    static let minute: Int64 = 60 * s
    static let hour: Int64 = 60 * minute
    static let newYork = TimeZone(identifier: "America/New_York")!

    /// An instant written with its offset, e.g. `2026-06-05T23:00:00-04:00`.
    static func at(_ text: String) -> Int64 {
        guard let ns = UTCTime.parse(text) else { preconditionFailure("not a time: \(text)") }
        return ns
    }

    static func alert(
        _ id: String, _ severity: Severity = .high, zone: String? = "north-fork", at ts: Int64,
        rule: String = "crossing", summary: String = "pir pir-1 + seismic seis-7"
    ) -> Alert {
        Alert(
            id: id, rule: rule, severity: severity, box: "swanton-07", sector: "swanton", zone: zone, firstTs: ts,
            lastTs: ts + 2 * s, direction: nil, events: ["e-\(id)"], position: nil, summary: summary)
    }

    /// Quiet 22:00-06:00, wrapping midnight.
    static let night = Subscriber.QuietHours(startMinute: 22 * 60, endMinute: 6 * 60)

    static func subscriber(
        zones: [String] = ["north-fork", "south-gate"], minSeverity: Severity = .low,
        quietHours: Subscriber.QuietHours? = nil, maxPerHour: Int? = nil
    ) -> Subscriber {
        Subscriber(
            name: "North farm", phone: "+18025550100", zones: zones, minSeverity: minSeverity,
            quietHours: quietHours, maxPerHour: maxPerHour)
    }

    static func plan(
        _ subscriber: Subscriber, now: Int64, sent: [Int64] = [], held: [Alert], timeZone: TimeZone = newYork
    ) -> HotlinePlanner.Plan {
        HotlinePlanner.plan(now: now, subscriber: subscriber, timeZone: timeZone, sentTimes: sent, held: held)
    }

    // MARK: Matching

    static let matchCases: [(String?, Severity, Bool)] = [
        ("north-fork", .medium, true),
        ("north-fork", .critical, true),
        ("south-gate", .high, true),
        ("north-fork", .low, false),
        ("east-ridge", .critical, false),
        (nil, .critical, false),
    ]

    @Test("an alert matches when its zone is the subscriber's and it is at least their minimum", arguments: matchCases)
    func matching(zone: String?, severity: Severity, expected: Bool) {
        let subscriber = Self.subscriber(minSeverity: .medium)
        let alert = Self.alert("a", severity, zone: zone, at: Self.at("2026-06-05T12:00:00-04:00"))
        #expect(HotlinePlanner.matches(alert, subscriber) == expected)
    }

    // MARK: Quiet hours

    @Test("quiet hours hold a high alert and release it at their end as a single text")
    func quietHoldsAndReleases() throws {
        let subscriber = Self.subscriber(quietHours: Self.night)
        let a = Self.alert("a", at: Self.at("2026-06-05T23:10:00-04:00"))
        let held = Self.plan(subscriber, now: a.lastTs, held: [a])
        #expect(held.messages.isEmpty)
        #expect(held.nextCheck == Self.at("2026-06-06T06:00:00-04:00"))

        let justBefore = Self.plan(subscriber, now: Self.at("2026-06-06T05:59:59.999999999-04:00"), held: [a])
        #expect(justBefore.messages.isEmpty)

        let released = Self.plan(subscriber, now: try #require(held.nextCheck), held: [a])
        #expect(released.messages.count == 1)
        #expect(released.messages.first?.alertIDs == ["a"])
        #expect(released.messages.first?.isDigest == false)
        #expect(
            released.messages.first?.body == "Picket: motion in north-fork, Fri 5 Jun 23:10 UTC-04:00.")
        #expect(released.nextCheck == nil)
    }

    @Test("several alerts held through quiet hours go out at their end as one digest")
    func quietReleasesDigest() {
        let subscriber = Self.subscriber(quietHours: Self.night)
        let held = [
            Self.alert("a", .medium, at: Self.at("2026-06-05T22:14:00-04:00")),
            Self.alert("b", .high, zone: "south-gate", at: Self.at("2026-06-06T01:30:00-04:00")),
            Self.alert("c", .medium, at: Self.at("2026-06-06T05:58:00-04:00")),
        ]
        let plan = Self.plan(subscriber, now: Self.at("2026-06-06T06:00:00-04:00"), held: held)
        #expect(
            plan.messages == [
                HotlinePlanner.Message(
                    alertIDs: ["a", "b", "c"],
                    body: "Picket: 3 alerts since Fri 5 Jun 22:14 UTC-04:00: motion north-fork 22:14, "
                        + "motion south-gate 01:30, motion north-fork 05:58.",
                    isDigest: true)
            ])
        #expect(plan.nextCheck == nil)
    }

    @Test("a critical alert goes out during quiet hours, on its own, and the others stay held")
    func criticalInQuietHours() {
        let subscriber = Self.subscriber(quietHours: Self.night)
        let high = Self.alert("h", .high, at: Self.at("2026-06-06T02:00:00-04:00"))
        let critical = Self.alert("c", .critical, at: Self.at("2026-06-06T03:12:00-04:00"))
        let plan = Self.plan(subscriber, now: critical.lastTs, held: [high, critical])
        #expect(plan.messages.map(\.alertIDs) == [["c"]])
        #expect(plan.messages.first?.body == "URGENT Picket: motion in north-fork, Sat 6 Jun 03:12 UTC-04:00.")
        #expect(plan.nextCheck == Self.at("2026-06-06T06:00:00-04:00"))
    }

    static let wrapping: [(String, Bool)] = [
        ("2026-06-05T21:59:59-04:00", false),
        ("2026-06-05T22:00:00-04:00", true),
        ("2026-06-05T23:59:59-04:00", true),
        ("2026-06-06T00:00:00-04:00", true),
        ("2026-06-06T05:59:59-04:00", true),
        ("2026-06-06T06:00:00-04:00", false),
        ("2026-06-06T12:00:00-04:00", false),
    ]

    @Test("quiet hours that wrap midnight are [start, end) on the local clock", arguments: wrapping)
    func wrappingQuietHours(time: String, quiet: Bool) {
        #expect(Self.night.contains(Self.at(time), in: Self.newYork) == quiet)
        let a = Self.alert("a", at: Self.at(time))
        let plan = Self.plan(Self.subscriber(quietHours: Self.night), now: Self.at(time), held: [a])
        #expect(plan.messages.isEmpty == quiet)
    }

    static let lunch = Subscriber.QuietHours(startMinute: 13 * 60, endMinute: 14 * 60 + 30)

    static let notWrapping: [(String, Bool)] = [
        ("2026-06-05T12:59:59-04:00", false),
        ("2026-06-05T13:00:00-04:00", true),
        ("2026-06-05T14:29:59-04:00", true),
        ("2026-06-05T14:30:00-04:00", false),
        ("2026-06-05T23:00:00-04:00", false),
        ("2026-06-06T03:00:00-04:00", false),
    ]

    @Test("quiet hours within one day are [start, end) on the local clock", arguments: notWrapping)
    func quietHoursWithinADay(time: String, quiet: Bool) {
        #expect(Self.lunch.contains(Self.at(time), in: Self.newYork) == quiet)
    }

    @Test("quiet hours within one day end the same day")
    func quietWithinADayEnds() {
        let subscriber = Self.subscriber(quietHours: Self.lunch)
        let a = Self.alert("a", at: Self.at("2026-06-05T13:10:00-04:00"))
        let plan = Self.plan(subscriber, now: a.lastTs, held: [a])
        #expect(plan.messages.isEmpty)
        #expect(plan.nextCheck == Self.at("2026-06-05T14:30:00-04:00"))
    }

    /// America/New_York: 2026-03-08 02:00 EST becomes 03:00 EDT; 2026-11-01
    /// 02:00 EDT becomes 01:00 EST. The expected ends are the local times
    /// written with the offset in force then, so a planner that added hours
    /// to a local date would miss by one.
    static let daylightSaving: [(now: String, start: Int, end: Int, expectedEnd: String)] = [
        ("2026-03-07T23:00:00-05:00", 22 * 60, 6 * 60, "2026-03-08T06:00:00-04:00"),
        ("2026-10-31T23:00:00-04:00", 22 * 60, 6 * 60, "2026-11-01T06:00:00-05:00"),
        // Ends inside the skipped hour: over when the clock jumps to 03:00.
        ("2026-03-08T01:30:00-05:00", 60, 2 * 60 + 30, "2026-03-08T03:00:00-04:00"),
        // Ends inside the repeated hour: the clock shows 01:10 twice, so it is quiet twice.
        ("2026-11-01T00:30:00-04:00", 0, 90, "2026-11-01T01:30:00-04:00"),
        ("2026-11-01T01:10:00-05:00", 0, 90, "2026-11-01T01:30:00-05:00"),
    ]

    @Test("quiet hours end on the local clock across a daylight saving change", arguments: daylightSaving)
    func daylightSavingChange(now: String, start: Int, end: Int, expectedEnd: String) throws {
        let quiet = Subscriber.QuietHours(startMinute: start, endMinute: end)
        let a = Self.alert("a", at: Self.at(now))
        let plan = Self.plan(Self.subscriber(quietHours: quiet), now: Self.at(now), held: [a])
        #expect(plan.messages.isEmpty)
        #expect(plan.nextCheck == Self.at(expectedEnd))
        let released = Self.plan(Self.subscriber(quietHours: quiet), now: try #require(plan.nextCheck), held: [a])
        #expect(released.messages.map(\.alertIDs) == [["a"]])
    }

    @Test("a zone without daylight saving time, and UTC")
    func fixedZones() {
        let utc = TimeZone(identifier: "UTC")!
        let a = Self.alert("a", at: Self.at("2026-06-05T23:00:00Z"))
        let plan = Self.plan(Self.subscriber(quietHours: Self.night), now: a.lastTs, held: [a], timeZone: utc)
        #expect(plan.nextCheck == Self.at("2026-06-06T06:00:00Z"))
        #expect(HotlinePlanner.text(for: a, wording: .init(clock: LocalClock(timeZone: utc))).contains("23:00 UTC."))
        let phoenix = TimeZone(identifier: "America/Phoenix")!
        let text = HotlinePlanner.text(for: a, wording: .init(clock: LocalClock(timeZone: phoenix)))
        #expect(text.contains("Fri 5 Jun 16:00 UTC-07:00."))
    }

    @Test("a first round's introduction goes on its first text only; every text carries the contact")
    func introductionOnTheFirstTextOnly() {
        let a = Self.alert("a", .critical, at: Self.at("2026-06-06T03:12:00-04:00"))
        let b = Self.alert("b", .critical, zone: "south-gate", at: Self.at("2026-06-06T03:13:00-04:00"))
        let wording = HotlinePlanner.Wording(
            clock: LocalClock(timeZone: Self.newYork), sightings: ["a": .foot, "b": .vehicle], introduce: "swanton",
            contact: "+18025550111")
        let plan = HotlinePlanner.plan(
            now: b.lastTs, subscriber: Self.subscriber(quietHours: Self.night), wording: wording, sentTimes: [],
            held: [a, b])
        #expect(
            plan.messages.map(\.body) == [
                "Picket alerts from sector swanton; reply STOP to stop. "
                    + "URGENT Picket: someone on foot in north-fork, Sat 6 Jun 03:12 UTC-04:00. Call +18025550111",
                "URGENT Picket: a vehicle in south-gate, Sat 6 Jun 03:13 UTC-04:00. Call +18025550111",
            ])
    }

    // MARK: The hourly cap

    @Test("max 2 an hour: two texts, two held until the first leaves the window, then one digest")
    func hourlyCap() throws {
        let subscriber = Self.subscriber(maxPerHour: 2)
        let t = Self.at("2026-06-05T14:00:00-04:00")
        let alerts = [0, 10, 20, 30].enumerated().map {
            Self.alert("a\($0.offset + 1)", at: t + $0.element * Self.minute)
        }
        var sent: [Int64] = []
        var held: [Alert] = []
        var last = HotlinePlanner.Plan(messages: [], nextCheck: nil)
        for alert in alerts {
            held.append(alert)
            last = Self.plan(subscriber, now: alert.lastTs, sent: sent, held: held)
            for message in last.messages {
                sent.append(alert.lastTs)
                held.removeAll { message.alertIDs.contains($0.id) }
            }
        }
        #expect(sent == [alerts[0].lastTs, alerts[1].lastTs])
        #expect(held.map(\.id) == ["a3", "a4"])
        let nextCheck = try #require(last.nextCheck)
        #expect(nextCheck == alerts[0].lastTs + Self.hour)

        #expect(Self.plan(subscriber, now: nextCheck - 1, sent: sent, held: held).messages.isEmpty)
        let released = Self.plan(subscriber, now: nextCheck, sent: sent, held: held)
        #expect(released.messages.count == 1)
        #expect(released.messages.first?.isDigest == true)
        #expect(released.messages.first?.alertIDs == ["a3", "a4"])
        #expect(released.nextCheck == nil)

        // A caller that wakes late, with room for both, still sends the backlog as one digest.
        let late = Self.plan(subscriber, now: alerts[1].lastTs + Self.hour, sent: sent, held: held)
        #expect(late.messages.map(\.isDigest) == [true])
    }

    @Test("one alert held by the cap goes out as its own text when the window has room")
    func capReleasesSingle() {
        let subscriber = Self.subscriber(maxPerHour: 1)
        let t = Self.at("2026-06-05T14:00:00-04:00")
        let a = Self.alert("a", at: t + 5 * Self.minute)
        let held = Self.plan(subscriber, now: a.lastTs, sent: [t], held: [a])
        #expect(held.messages.isEmpty)
        #expect(held.nextCheck == t + Self.hour)
        let released = Self.plan(subscriber, now: t + Self.hour, sent: [t], held: [a])
        #expect(released.messages.map(\.isDigest) == [false])
    }

    @Test("a burst that fits in the room goes out as separate texts, oldest first")
    func burstWithinRoom() {
        let t = Self.at("2026-06-05T14:00:00-04:00")
        let burst = [Self.alert("a", .low, at: t), Self.alert("b", at: t), Self.alert("c", .medium, at: t)]
        for cap in [nil, 3] {
            let plan = Self.plan(Self.subscriber(maxPerHour: cap), now: t + 2 * Self.s, held: burst)
            #expect(plan.messages.map(\.alertIDs) == [["a"], ["b"], ["c"]])
            #expect(plan.messages.allSatisfy { !$0.isDigest })
        }
    }

    @Test("a burst bigger than the room goes out at once as one digest")
    func burstBeyondRoom() {
        let t = Self.at("2026-06-05T14:00:00-04:00")
        let burst = [Self.alert("a", at: t), Self.alert("b", at: t), Self.alert("c", at: t)]
        let plan = Self.plan(Self.subscriber(maxPerHour: 2), now: t + 2 * Self.s, held: burst)
        #expect(plan.messages.map(\.alertIDs) == [["a", "b", "c"]])
        #expect(plan.messages.first?.isDigest == true)
    }

    @Test("critical ignores the cap, and counts against it")
    func criticalAndCap() {
        let subscriber = Self.subscriber(maxPerHour: 2)
        let t = Self.at("2026-06-05T14:00:00-04:00")
        let high = Self.alert("h", at: t + Self.minute)
        let critical = Self.alert("c", .critical, at: t + Self.minute)
        // One text in the window, a critical and a high arrive: the critical fills the window.
        let plan = Self.plan(subscriber, now: t + 2 * Self.minute, sent: [t], held: [high, critical])
        #expect(plan.messages.map(\.alertIDs) == [["c"]])
        #expect(plan.nextCheck == t + Self.hour)
        // A full window does not hold a critical either.
        let full = Self.plan(subscriber, now: t + 2 * Self.minute, sent: [t, t + Self.minute], held: [critical])
        #expect(full.messages.map(\.alertIDs) == [["c"]])
        #expect(full.nextCheck == nil)
    }

    @Test("texts older than an hour do not count; one exactly an hour old has just left")
    func windowEdges() {
        let subscriber = Self.subscriber(maxPerHour: 1)
        let t = Self.at("2026-06-05T14:00:00-04:00")
        let a = Self.alert("a", at: t)
        #expect(Self.plan(subscriber, now: t + Self.hour, sent: [t], held: [a]).messages.count == 1)
        #expect(Self.plan(subscriber, now: t + Self.hour - 1, sent: [t], held: [a]).messages.isEmpty)
        #expect(
            Self.plan(subscriber, now: t + 5 * Self.hour, sent: [t - 9 * Self.hour, t], held: [a]).messages.count == 1)
    }

    // MARK: nextCheck

    @Test("nextCheck is nil when nothing is held")
    func nothingHeld() {
        let subscriber = Self.subscriber(quietHours: Self.night, maxPerHour: 1)
        #expect(Self.plan(subscriber, now: Self.at("2026-06-05T23:00:00-04:00"), held: []).nextCheck == nil)
        let a = Self.alert("a", at: Self.at("2026-06-05T12:00:00-04:00"))
        #expect(Self.plan(subscriber, now: a.lastTs, held: [a]).nextCheck == nil)
    }

    @Test("room that frees up during quiet hours waits for their end")
    func capThenQuiet() {
        let subscriber = Self.subscriber(quietHours: Self.night, maxPerHour: 1)
        let sent = Self.at("2026-06-05T21:30:00-04:00")
        let a = Self.alert("a", at: Self.at("2026-06-05T21:40:00-04:00"))
        let plan = Self.plan(subscriber, now: a.lastTs, sent: [sent], held: [a])
        #expect(plan.messages.isEmpty)
        #expect(plan.nextCheck == Self.at("2026-06-06T06:00:00-04:00"))
    }

    @Test("quiet hours that end on a full window wait for room")
    func quietThenCap() {
        let subscriber = Self.subscriber(quietHours: Self.night, maxPerHour: 1)
        // A critical at 05:40 filled the window until 06:40.
        let critical = Self.at("2026-06-06T05:40:00-04:00")
        let a = Self.alert("a", at: Self.at("2026-06-06T05:50:00-04:00"))
        let plan = Self.plan(subscriber, now: a.lastTs, sent: [critical], held: [a])
        #expect(plan.nextCheck == Self.at("2026-06-06T06:40:00-04:00"))
    }
}
