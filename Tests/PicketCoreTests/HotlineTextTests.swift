import Foundation
import PicketCore
import Testing

/// The words of hotline texts: one 160-character GSM-7 segment, plain ASCII.
@Suite("HotlineText")
struct HotlineTextTests {
    static let s: Int64 = 1_000_000_000
    static let newYork = TimeZone(identifier: "America/New_York")!
    /// 2026-06-05T03:12:01Z is 23:12 the evening before in New York (EDT).
    static let t0: Int64 = 1_780_629_121 * s

    static func alert(
        _ id: String = "a", _ severity: Severity = .high, rule: String = "crossing", zone: String? = "north-fork",
        at ts: Int64 = t0, summary: String = "crossing: pir pir-1 + seismic seis-7 in north-fork within 3.0 s"
    ) -> Alert {
        Alert(
            id: id, rule: rule, severity: severity, box: "swanton-07", sector: "swanton", zone: zone, firstTs: ts,
            lastTs: ts + 3 * s, direction: nil, events: [], position: nil, summary: summary)
    }

    /// Printable ASCII without GSM-7's two-septet characters and the backtick.
    static func isOneSegment(_ text: String) -> Bool {
        text.count <= 160 && text.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
            && !text.contains { "[]{}\\^~|`".contains($0) }
    }

    @Test("a text names severity, rule, zone and local time, then the summary without the rule's prefix")
    func text() {
        let utc = TimeZone(identifier: "UTC")!
        #expect(
            HotlinePlanner.text(for: Self.alert(), timeZone: utc)
                == "Picket HIGH: crossing in north-fork at 03:12. "
                + "pir pir-1 + seismic seis-7 in north-fork within 3.0 s")
        let detection = Self.alert("a", .critical, rule: "detection", summary: "seismic seis-7")
        #expect(
            HotlinePlanner.text(for: detection, timeZone: utc)
                == "Picket CRITICAL: detection in north-fork at 03:12. seismic seis-7")
        #expect(
            HotlinePlanner.text(for: Self.alert(zone: nil, summary: ""), timeZone: Self.newYork)
                == "Picket HIGH: crossing at 23:12.")
    }

    @Test("a 300-character summary is cut with ... so the text is 160 characters")
    func longSummary() {
        let summary = String(repeating: "pir pir-1 + seismic seis-7 ", count: 12)
        #expect(summary.count > 300)
        let text = HotlinePlanner.text(for: Self.alert(summary: summary), timeZone: Self.newYork)
        #expect(text.count <= 160)
        #expect(text.count >= 155)
        #expect(text.hasPrefix("Picket HIGH: crossing in north-fork at 23:12. pir pir-1 + seismic"))
        #expect(text.hasSuffix("..."))
        #expect(Self.isOneSegment(text))
    }

    @Test("a rule or zone name too long for one segment still gives 160 characters")
    func longNames() {
        let long = String(repeating: "x", count: 200)
        for alert in [Self.alert(rule: long), Self.alert(zone: long), Self.alert(rule: long, summary: "")] {
            let text = HotlinePlanner.text(for: alert, timeZone: Self.newYork)
            #expect(text.count == 160)
            #expect(text.hasSuffix("..."))
        }
    }

    @Test("accents are folded and everything else outside GSM-7's basic ASCII is replaced")
    func plainCharacters() {
        let alert = Self.alert(
            zone: "Jérôme’s field", summary: "note: “deer” — [big] {buck}\nnear the ~pond~ | 🦌 ok `x` ^ \\")
        let text = HotlinePlanner.text(for: alert, timeZone: Self.newYork)
        #expect(
            text
                == "Picket HIGH: crossing in Jerome's field at 23:12. "
                + "note: \"deer\" - (big) (buck) near the -pond- / ? ok 'x' ' /")
        #expect(Self.isOneSegment(text))
    }

    @Test("a digest counts alerts, lists zones, spans local times and counts severities")
    func digest() {
        let tz = Self.newYork
        // 22:14, 23:40 and 05:58 New York time (EDT, UTC-4).
        let evening: Int64 = 1_780_712_040 * Self.s
        let alerts = [
            Self.alert("a", .medium, at: evening),
            Self.alert("b", .high, zone: "south-gate", at: evening + 86 * 60 * Self.s),
            Self.alert("c", .medium, at: evening + 30 * 60 * Self.s),
            Self.alert("d", .high, at: evening + 464 * 60 * Self.s),
            Self.alert("e", .medium, zone: nil, at: evening + 60 * Self.s),
        ]
        #expect(UTCTime.format(evening) == "2026-06-06T02:14:00.000000000Z")
        #expect(
            HotlinePlanner.digest(alerts, timeZone: tz)
                == "Picket digest: 5 alerts in north-fork, south-gate 22:14-05:58 (2 high, 3 medium). "
                + "Latest: crossing 05:58.")
        #expect(
            HotlinePlanner.digest(
                [Self.alert("x", .low, at: evening), Self.alert("y", .low, at: evening)], timeZone: tz)
                == "Picket digest: 2 alerts in north-fork at 22:14 (2 low). Latest: crossing 22:14.")
    }

    @Test("a digest of many zones counts them instead, and stays in one segment")
    func longDigest() {
        let alerts = (0..<40).map { i in
            Self.alert(
                "a\(i)", Severity.allCases[i % 4], zone: "zone-number-\(i % 12)", at: Self.t0 + Int64(i) * 60 * Self.s)
        }
        let text = HotlinePlanner.digest(alerts, timeZone: Self.newYork)
        #expect(
            text == "Picket digest: 40 alerts in 12 zones 23:12-23:51 (10 critical, 10 high, 10 medium, 10 low). "
                + "Latest: crossing 23:51.")
        #expect(Self.isOneSegment(text))

        let longRule = [Self.alert(), Self.alert(rule: String(repeating: "r", count: 300))]
        let cut = HotlinePlanner.digest(longRule, timeZone: Self.newYork)
        #expect(cut.count == 160)
        #expect(cut.hasSuffix("..."))
    }
}
