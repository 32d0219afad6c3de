import Foundation
import PicketCore
import Testing

/// The words of hotline texts (PRODUCT.md section 7): what in a landowner's
/// words, the zone, the local date and time with the zone's abbreviation,
/// the contact; one 160-character GSM-7 segment, plain ASCII.
@Suite("HotlineText")
struct HotlineTextTests {
    static let s: Int64 = 1_000_000_000

    /// An instant written with its offset, e.g. `2026-12-06T14:05:00+01:00`.
    static func at(_ text: String) -> Int64 {
        guard let ns = UTCTime.parse(text) else { preconditionFailure("not a time: \(text)") }
        return ns
    }

    /// The landowner's clock in `identifier`, with the abbreviations of the
    /// system's tz database file, as the daemon reads them.
    static func clock(_ identifier: String) throws -> LocalClock {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/" + identifier)))
        let names = try #require(ZoneNames(tzif: bytes), "\(identifier)'s tz file did not parse")
        return LocalClock(timeZone: try #require(TimeZone(identifier: identifier)), names: names)
    }

    static func alert(
        _ id: String = "a", _ severity: Severity = .high, rule: String = "crossing", zone: String? = "north-fork",
        at ts: Int64 = HotlineTextTests.at("2026-12-06T14:05:00+01:00"), direction: String? = nil
    ) -> Alert {
        Alert(
            id: id, rule: rule, severity: severity, box: "swanton-07", sector: "swanton", zone: zone, firstTs: ts,
            lastTs: ts + 3 * s, direction: direction, events: ["e-\(id)"], position: nil,
            summary: "crossing: pir pir-1 + seismic seis-7 in north-fork within 3.0 s")
    }

    static func event(_ kind: SensorKind, _ detectionClass: String? = nil, source: EventSource = .serial) -> Event {
        Event(
            id: "e-\(kind)-\(detectionClass ?? "none")", box: "swanton-07", sector: "swanton", sensor: "s-1",
            kind: kind, zone: "north-fork", source: source, state: .active, ts: 0, episode: "e",
            detectionClass: detectionClass)
    }

    /// Printable ASCII without GSM-7's two-septet characters and the backtick.
    static func isOneSegment(_ text: String) -> Bool {
        text.count <= 160 && text.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
            && !text.contains { "[]{}\\^~|`".contains($0) }
    }

    // MARK: What

    static let sightings: [(String, [Event], Sighting, String)] = [
        ("crossing", [event(.pir), event(.seismic, "FOOT")], .foot, "someone on foot"),
        ("crossing", [event(.pir), event(.seismic, "VEH")], .vehicle, "a vehicle"),
        ("detection", [event(.seismic, "ANIM")], .animal, "an animal"),
        ("detection", [event(.seismic, "UNK")], .motion, "motion"),
        ("detection", [event(.pir)], .motion, "motion"),
        ("northbound", [event(.beam), event(.beam)], .motion, "motion"),
        ("detection", [event(.camera)], .motion, "motion"),
        ("detection", [event(.magnetic)], .motion, "motion"),
        // A walker and a car together: the vehicle is what the landowner looks for.
        ("crossing", [event(.seismic, "FOOT"), event(.seismic, "VEH")], .vehicle, "a vehicle"),
        ("crossing", [event(.seismic, "ANIM"), event(.seismic, "FOOT")], .foot, "someone on foot"),
        // No class: the rule's name, in the words a landowner's text would use.
        ("footsteps", [event(.pir)], .foot, "someone on foot"),
        ("vehicle-gate", [event(.beam)], .vehicle, "a vehicle"),
        ("deer_trail", [], .animal, "an animal"),
        ("northbound", [event(.unknown, source: .report)], .reported, "a reported sighting"),
        ("northbound", [event(.unknown, "FOOT", source: .report)], .foot, "someone on foot"),
        ("crossing", [], .motion, "motion"),
    ]

    @Test("what an alert saw: its events' class, else its rule's name, else motion", arguments: sightings)
    func wordsPerClass(rule: String, events: [Event], expected: Sighting, words: String) {
        let sighting = Sighting.of(Self.alert(rule: rule), events: events)
        #expect(sighting == expected)
        #expect(sighting.words == words)
    }

    // MARK: When

    /// Local date, time and abbreviation on both sides of each zone's changes.
    static let stamps: [(zone: String, instant: String, stamp: String)] = [
        ("Europe/Berlin", "2026-12-06T13:05:00Z", "Sun 6 Dec 14:05 CET"),
        ("Europe/Berlin", "2026-06-05T03:12:00Z", "Fri 5 Jun 05:12 CEST"),
        // 2026-10-25 03:00 CEST becomes 02:00 CET; 2026-03-29 02:00 CET becomes 03:00 CEST.
        ("Europe/Berlin", "2026-10-25T00:59:00Z", "Sun 25 Oct 02:59 CEST"),
        ("Europe/Berlin", "2026-10-25T01:00:00Z", "Sun 25 Oct 02:00 CET"),
        ("Europe/Berlin", "2026-03-29T00:59:00Z", "Sun 29 Mar 01:59 CET"),
        ("Europe/Berlin", "2026-03-29T01:00:00Z", "Sun 29 Mar 03:00 CEST"),
        ("America/New_York", "2026-12-06T13:05:00Z", "Sun 6 Dec 08:05 EST"),
        ("America/New_York", "2026-06-05T03:12:00Z", "Thu 4 Jun 23:12 EDT"),
        ("America/New_York", "2026-11-01T05:30:00Z", "Sun 1 Nov 01:30 EDT"),
        ("America/New_York", "2026-11-01T06:30:00Z", "Sun 1 Nov 01:30 EST"),
        ("UTC", "2026-02-28T23:59:00Z", "Sat 28 Feb 23:59 UTC"),
        ("Europe/London", "2028-02-29T12:00:00Z", "Tue 29 Feb 12:00 GMT"),
        ("Asia/Kolkata", "2026-12-31T20:00:00Z", "Fri 1 Jan 01:30 IST"),
        // The tz database names São Paulo's clock `-03`: not a word, so the offset.
        ("America/Sao_Paulo", "2026-12-06T13:05:00Z", "Sun 6 Dec 10:05 UTC-03:00"),
        ("Asia/Kathmandu", "2026-12-06T13:05:00Z", "Sun 6 Dec 18:50 UTC+05:45"),
        // Past the file's last transition (2037) its footer's rule names the zone.
        ("Europe/Berlin", "2040-07-01T12:00:00Z", "Sun 1 Jul 14:00 CEST"),
        ("Europe/Berlin", "2040-12-01T12:00:00Z", "Sat 1 Dec 13:00 CET"),
    ]

    @Test("the local date and time with the zone's abbreviation", arguments: stamps)
    func localStamp(zone: String, instant: String, stamp: String) throws {
        #expect(try Self.clock(zone).stamp(Self.at(instant)) == stamp)
    }

    @Test("without the zone's tz file the abbreviation is the offset, never GMT+1")
    func numericWithoutNames() throws {
        let berlin = LocalClock(timeZone: try #require(TimeZone(identifier: "Europe/Berlin")))
        #expect(berlin.stamp(Self.at("2026-12-06T13:05:00Z")) == "Sun 6 Dec 14:05 UTC+01:00")
        #expect(berlin.stamp(Self.at("2026-06-06T13:05:00Z")) == "Sat 6 Jun 15:05 UTC+02:00")
        let utc = LocalClock(timeZone: try #require(TimeZone(identifier: "UTC")))
        #expect(utc.stamp(Self.at("2026-12-06T13:05:00Z")) == "Sun 6 Dec 13:05 UTC")
    }

    @Test("bytes that are not a tz file give no names")
    func notATZFile() throws {
        #expect(ZoneNames(tzif: []) == nil)
        #expect(ZoneNames(tzif: Array("TZif2 but nothing else".utf8)) == nil)
        let berlin = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin")))
        for cut in [44, 100, 1000] { #expect(ZoneNames(tzif: Array(berlin.prefix(cut))) == nil, "\(cut) bytes") }
    }

    // MARK: Texts

    @Test("a text says what, where and when in plain words, and ends with the contact")
    func text() throws {
        let berlin = try Self.clock("Europe/Berlin")
        let wording = HotlinePlanner.Wording(clock: berlin, sightings: ["a": .foot], contact: "+4930555000")
        #expect(
            HotlinePlanner.text(for: Self.alert(), wording: wording)
                == "Picket: someone on foot in north-fork, Sun 6 Dec 14:05 CET. Call +4930555000")
        #expect(
            HotlinePlanner.text(for: Self.alert("a", .critical, direction: "northbound"), wording: wording)
                == "URGENT Picket: someone on foot in north-fork heading northbound, Sun 6 Dec 14:05 CET. "
                + "Call +4930555000")
        let summer = Self.alert(at: Self.at("2026-06-05T05:12:00+02:00"))
        let plain = HotlinePlanner.Wording(clock: berlin, sightings: ["a": .vehicle])
        #expect(
            HotlinePlanner.text(for: summer, wording: plain) == "Picket: a vehicle in north-fork, Fri 5 Jun 05:12 CEST."
        )
        let newYork = HotlinePlanner.Wording(clock: try Self.clock("America/New_York"))
        #expect(
            HotlinePlanner.text(for: Self.alert(rule: "footsteps"), wording: newYork)
                == "Picket: someone on foot in north-fork, Sun 6 Dec 08:05 EST.")
    }

    @Test("a first text says who sends it and how to stop, and still fits with the contact")
    func firstText() throws {
        let wording = HotlinePlanner.Wording(
            clock: try Self.clock("Europe/Berlin"), sightings: ["a": .foot], introduce: "swanton",
            contact: "+4930555000")
        #expect(
            HotlinePlanner.text(for: Self.alert(), wording: wording, first: true)
                == "Picket alerts from sector swanton; reply STOP to stop. "
                + "Picket: someone on foot in north-fork, Sun 6 Dec 14:05 CET. Call +4930555000")
    }

    static let longNames: [(zone: String?, sector: String, direction: String?)] = [
        (String(repeating: "north-fork-", count: 20), "swanton", nil),
        ("north-fork", String(repeating: "swanton-", count: 30), "northbound"),
        (String(repeating: "z", count: 300), String(repeating: "s", count: 300), String(repeating: "d", count: 300)),
        ("Jérôme’s “field” — [upper] {pond} ~ | 🦌 \\ ^ `x`\nnext line", "Säntis-Nord", "nördlich"),
        ("Северное поле", "секция", nil),
        (String(repeating: "🦌", count: 200), "swanton", nil),
    ]

    @Test("long and non-ASCII names: ASCII, at most 160, time and contact kept whole", arguments: longNames)
    func longAndForeignNames(zone: String?, sector: String, direction: String?) throws {
        let clock = try Self.clock("Europe/Berlin")
        for severity in [Severity.high, .critical] {
            for first in [false, true] {
                let wording = HotlinePlanner.Wording(
                    clock: clock, sightings: ["a": .foot], introduce: sector, contact: "+493055500012345")
                let alert = Self.alert("a", severity, zone: zone, direction: direction)
                let text = HotlinePlanner.text(for: alert, wording: wording, first: first)
                #expect(Self.isOneSegment(text), "\(text.count): \(text)")
                #expect(text.hasSuffix(", Sun 6 Dec 14:05 CET. Call +493055500012345"), "\(text)")
                #expect(text.contains("someone on foot"), "\(text)")
                #expect(!first || text.contains("reply STOP to stop."), "\(text)")
                #expect(severity != .critical || text.contains("URGENT"), "\(text)")
            }
        }
    }

    @Test("accents are folded, other scripts and emoji dropped, GSM-7's extras replaced")
    func plainCharacters() throws {
        let wording = HotlinePlanner.Wording(clock: try Self.clock("Europe/Berlin"), sightings: ["a": .animal])
        let text = HotlinePlanner.text(for: Self.alert(zone: "Jérôme’s {big} field 🦌 ~1"), wording: wording)
        #expect(text == "Picket: an animal in Jerome's (big) field -1, Sun 6 Dec 14:05 CET.")
        // A zone named only in another script leaves no name, and no empty "in".
        let cyrillic = HotlinePlanner.text(for: Self.alert(zone: "Поле"), wording: wording)
        #expect(cyrillic == "Picket: an animal, Sun 6 Dec 14:05 CET.")
    }

    // MARK: The digest

    @Test("a digest names each alert it covers in the same words, with zone and local time")
    func digest() throws {
        let wording = HotlinePlanner.Wording(
            clock: try Self.clock("America/New_York"), sightings: ["a": .foot, "b": .vehicle, "c": .motion],
            contact: "+18025550111")
        let alerts = [
            Self.alert("c", .medium, at: Self.at("2026-06-06T05:58:00-04:00")),
            Self.alert("a", .high, at: Self.at("2026-06-05T22:14:00-04:00")),
            Self.alert("b", .high, zone: "south-gate", at: Self.at("2026-06-05T23:40:00-04:00")),
        ]
        #expect(
            HotlinePlanner.digest(alerts, wording: wording)
                == "Picket: 3 alerts since Fri 5 Jun 22:14 EDT: someone on foot north-fork 22:14, "
                + "a vehicle south-gate 23:40, motion north-fork 05:58. Call +18025550111")
    }

    @Test("a digest too long for one text names what fits and counts the rest")
    func longDigest() throws {
        let clock = try Self.clock("Europe/Berlin")
        let alerts = (0..<40).map { i in
            Self.alert(
                "a\(i)", zone: "zone-\(i % 12)", at: Self.at("2026-12-06T14:05:00+01:00") + Int64(i) * 60 * Self.s)
        }
        let wording = HotlinePlanner.Wording(
            clock: clock, sightings: ["a0": .foot, "a1": .vehicle], contact: "+4930555000")
        let text = HotlinePlanner.digest(alerts, wording: wording)
        #expect(Self.isOneSegment(text), "\(text)")
        #expect(
            text.hasPrefix(
                "Picket: 40 alerts since Sun 6 Dec 14:05 CET: someone on foot zone-0 14:05, a vehicle zone-1 14:06, "
                    + "motion zone-2 14:07"), "\(text)")
        #expect(text.hasSuffix(" more. Call +4930555000"), "\(text)")
        let named = text.components(separatedBy: ", ").count
        #expect(text.contains(" and \(40 - named) more."), "\(text)")

        // A first text of a long sector's name, and zones of 300 characters: one named, the rest counted.
        let long = alerts.map { alert -> Alert in
            var alert = alert
            alert.zone = String(repeating: "z", count: 300)
            return alert
        }
        let first = HotlinePlanner.Wording(
            clock: clock, sightings: ["a0": .foot], introduce: String(repeating: "s", count: 100),
            contact: "+4930555000")
        let cut = HotlinePlanner.digest(long, wording: first, first: true)
        #expect(Self.isOneSegment(cut), "\(cut.count): \(cut)")
        #expect(cut.contains("reply STOP to stop."), "\(cut)")
        #expect(cut.contains("someone on foot"), "\(cut)")
        #expect(cut.hasSuffix(" 14:05 and 39 more. Call +4930555000"), "\(cut)")
    }

    @Test("a digest across the night the clocks go back gives each time its abbreviation")
    func digestAcrossTheChange() throws {
        let wording = HotlinePlanner.Wording(clock: try Self.clock("Europe/Berlin"))
        let alerts = [
            Self.alert("a", at: Self.at("2026-10-25T02:30:00+02:00")),
            Self.alert("b", at: Self.at("2026-10-25T02:30:00+01:00")),
        ]
        #expect(
            HotlinePlanner.digest(alerts, wording: wording)
                == "Picket: 2 alerts since Sun 25 Oct 02:30 CEST: motion north-fork 02:30, motion north-fork 02:30 CET."
        )
    }
}
