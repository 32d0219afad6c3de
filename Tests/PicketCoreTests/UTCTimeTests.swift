import Foundation
import PicketCore
import Testing

/// Times are RFC 3339 UTC strings with nine fractional digits (PRODUCT.md section 8).
@Suite("UTCTime")
struct UTCTimeTests {
    static let s: Int64 = 1_000_000_000

    @Test("formats PRODUCT.md's example with nine fractional digits")
    func formatExample() {
        // 2026-06-05T03:12:00Z is 1780629120 s after the epoch.
        #expect(UTCTime.format(1_780_629_121 * Self.s + 520_000_000) == "2026-06-05T03:12:01.520000000Z")
        #expect(UTCTime.format(0) == "1970-01-01T00:00:00.000000000Z")
        #expect(UTCTime.format(1) == "1970-01-01T00:00:00.000000001Z")
    }

    static let instants: [Int64] = [
        0, 1, 999_999_999, 1_780_629_121_520_000_000, 1_709_208_000_123_456_789, -1, -1_000_000_000,
        -14_182_940_000_000_000, -2_203_891_199_999_999_993, .max,
    ]

    @Test("format and parse round trip", arguments: instants)
    func roundTrip(ns: Int64) {
        let text = UTCTime.format(ns)
        #expect(text.count == 30)
        #expect(text.hasSuffix("Z"))
        #expect(UTCTime.parse(text) == ns)
    }

    static let known: [(String, Int64)] = [
        ("2026-06-05T03:12:01.520000000Z", 1_780_629_121_520_000_000),
        ("2026-06-05T03:12:01.52Z", 1_780_629_121_520_000_000),
        ("2026-06-05T03:12:01Z", 1_780_629_121_000_000_000),
        ("2026-06-05t03:12:01z", 1_780_629_121_000_000_000),
        ("2026-06-05T05:12:01.52+02:00", 1_780_629_121_520_000_000),
        ("2026-06-04T21:42:01.520000000-05:30", 1_780_629_121_520_000_000),
        ("2026-06-05T03:12:01+00:00", 1_780_629_121_000_000_000),
        ("2026-06-05T03:12:01.1234567899Z", 1_780_629_121_123_456_789),
        ("2024-02-29T12:00:00Z", 1_709_208_000_000_000_000),
        ("2000-02-29T00:00:00Z", 951_782_400_000_000_000),
        ("1900-03-01T00:00:00Z", -2_203_891_200_000_000_000),
        ("1969-07-20T20:17:40Z", -14_182_940_000_000_000),
        ("1969-12-31T23:59:59.999999999Z", -1),
        ("1970-01-01T00:00:00.000000001+00:01", -59_999_999_999),
    ]

    @Test("parses known instants", arguments: known)
    func parseKnown(text: String, ns: Int64) {
        #expect(UTCTime.parse(text) == ns)
    }

    @Test("the ends of the representable range")
    func range() {
        #expect(UTCTime.format(.max) == "2262-04-11T23:47:16.854775807Z")
        #expect(UTCTime.format(.min) == "1677-09-21T00:12:43.145224192Z")
    }

    @Test(
        "instants that nanoseconds in an Int64 cannot hold are refused, not trapped on",
        arguments: [
            "2262-04-11T23:47:16.854775808Z", "2262-04-11T23:47:17Z", "9999-12-31T23:59:59.999999999Z",
            "1677-09-21T00:12:43.145224191Z", "0000-01-01T00:00:00Z",
        ])
    func outOfRange(text: String) {
        #expect(UTCTime.parse(text) == nil)
    }

    @Test("formats leap days and dates before 1970")
    func formatCivil() {
        #expect(UTCTime.format(1_709_208_000 * Self.s) == "2024-02-29T12:00:00.000000000Z")
        #expect(UTCTime.format(951_782_400 * Self.s) == "2000-02-29T00:00:00.000000000Z")
        #expect(UTCTime.format(-14_182_940 * Self.s) == "1969-07-20T20:17:40.000000000Z")
        #expect(UTCTime.format(-1) == "1969-12-31T23:59:59.999999999Z")
        #expect(UTCTime.format(-2_203_891_200 * Self.s - 1) == "1900-02-28T23:59:59.999999999Z")
    }

    @Test(
        "rejects garbage",
        arguments: [
            "", "garbage", "2026-06-05", "2026-06-05T03:12:01", "2026-06-05T03:12:01.Z", "2026-06-05T03:12:01Zjunk",
            "2026-06-05T03:12:01+0200", "2026-06-05T03:12:01+2:00", "2026-06-05T03:12:01+02:60",
            "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-06-31T00:00:00Z", "2026-06-00T00:00:00Z",
            "2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-06-05T24:00:00Z",
            "2026-06-05T03:60:00Z", "2026-06-0aT03:12:01Z", "2026/06/05T03:12:01Z", "26-06-05T03:12:01Z",
            "2026-06-05T03:12:01.52 Z", "-026-06-05T03:12:01Z",
        ])
    func rejects(text: String) {
        #expect(UTCTime.parse(text) == nil)
    }

    // MARK: Identifier

    static func isUUIDShaped(_ id: String) -> Bool {
        let groups = id.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return id.unicodeScalars.allSatisfy { "0123456789abcdef-".unicodeScalars.contains($0) }
    }

    @Test("event and alert ids are UUID-shaped: 8-4-4-4-12 lowercase hex, version 7, RFC variant")
    func uuidShape() {
        let ids = [
            Identifier.event(box: "swanton-07", sensor: "pir-1", source: .gpio, state: .active, ts: 0, ordinal: 0),
            Identifier.event(box: "", sensor: "", source: .report, state: .inactive, ts: -5, ordinal: 9),
            Identifier.alert(box: "swanton-07", rule: "crossing", zone: nil, events: [], ts: 0),
            Identifier.alert(
                box: "b", rule: "detection", zone: "north-fork", events: ["x", "y"], ts: 1_780_629_121_520_000_000),
        ]
        for id in ids {
            #expect(Self.isUUIDShaped(id), "\(id)")
            let scalars = Array(id.unicodeScalars)
            #expect(scalars[14] == "7", "version nibble of \(id)")
            #expect("89ab".unicodeScalars.contains(scalars[19]), "variant of \(id)")
        }
    }

    @Test("ids are stable: the same parts give the same id, in any process and release")
    func stableIDs() {
        let a = Identifier.event(
            box: "swanton-07", sensor: "seis-7", source: .serial, state: .active, ts: 1_780_629_121_520_000_000,
            ordinal: 0)
        let b = Identifier.event(
            box: "swanton-07", sensor: "seis-7", source: .serial, state: .active, ts: 1_780_629_121_520_000_000,
            ordinal: 0)
        #expect(a == b)
        // Pinned (changed once, to the version 7 layout): a replay into an existing database and a sector endpoint's
        // Idempotency-Key both rely on ids never changing between releases.
        #expect(a == Self.pinnedEventID)
        #expect(
            Identifier.alert(
                box: "swanton-07", rule: "crossing", zone: "north-fork", events: [a], ts: 1_780_629_121_520_000_000)
                == Self.pinnedAlertID)
    }

    @Test(
        "ids begin with their time (UUIDv7 layout): later events sort after earlier ones, so inserts append to the id index"
    )
    func idsSortByTime() {
        let start: Int64 = 1_780_629_121_520_000_000
        let ids = (0..<200).map { i in
            Identifier.event(
                box: "b", sensor: "s\(i % 7)", source: .gpio, state: .active, ts: start + Int64(i) * 1_000_003,
                ordinal: 0)
        }
        #expect(ids == ids.sorted())
        // 1_780_629_121_520 ms is 0x019e_95c4_29f0: the first 48 bits, big-endian.
        #expect(ids[0].hasPrefix("019e95c4-29f0-7"))
        // Before 1970 (a recording's negative time) clamps to zero, never traps.
        #expect(
            Identifier.event(box: "b", sensor: "s", source: .gpio, state: .active, ts: -5, ordinal: 0)
                .hasPrefix("00000000-0000-7"))
    }

    static let pinnedEventID = "019e95c4-29f0-772c-93c3-95ca7478649b"
    static let pinnedAlertID = "019e95c4-29f0-7cbd-9881-0fdc020a7b45"

    @Test("every part of an event's identity changes its id")
    func idsDiffer() {
        let base = Identifier.event(box: "b", sensor: "s", source: .gpio, state: .active, ts: 10, ordinal: 0)
        let variants = [
            Identifier.event(box: "c", sensor: "s", source: .gpio, state: .active, ts: 10, ordinal: 0),
            Identifier.event(box: "b", sensor: "t", source: .gpio, state: .active, ts: 10, ordinal: 0),
            Identifier.event(box: "b", sensor: "s", source: .serial, state: .active, ts: 10, ordinal: 0),
            Identifier.event(box: "b", sensor: "s", source: .gpio, state: .inactive, ts: 10, ordinal: 0),
            Identifier.event(box: "b", sensor: "s", source: .gpio, state: .active, ts: 11, ordinal: 0),
            Identifier.event(box: "b", sensor: "s", source: .gpio, state: .active, ts: 10, ordinal: 1),
        ]
        #expect(Set(variants + [base]).count == 7)
        // Parts are length-prefixed: moving a character between parts changes the id.
        #expect(
            Identifier.alert(box: "ab", rule: "c", zone: nil, events: [], ts: 0)
                != Identifier.alert(box: "a", rule: "bc", zone: nil, events: [], ts: 0))
        #expect(
            Identifier.alert(box: "b", rule: "r", zone: nil, events: ["x", "y"], ts: 0)
                != Identifier.alert(box: "b", rule: "r", zone: nil, events: ["y", "x"], ts: 0))
    }

    // MARK: JSONWriter

    static func parse(_ json: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return try #require(object as? [String: Any])
    }

    @Test("JSONWriter keeps keys in the order they were added and writes null for nil")
    func keyOrder() throws {
        var w = JSONWriter()
        w.string("id", "e-1")
        w.int("ts_ns", Int64(1_780_629_121_520_000_000))
        w.time("ts", 1_780_629_121_520_000_000)
        w.string("zone", nil)
        w.int("strength", 64)
        w.int("battery_mv", Int?.none)
        w.double("lat", 44.9931)
        w.double("temp_c", .nan)
        w.bool("tamper", true)
        w.bool("maybe", nil)
        w.strings("events", ["a", "b"])
        w.object("tags", ["trail": "north-fork", "depth": "30cm"])
        w.raw("extra", "[1,2]")
        let json = w.finish()
        #expect(
            json
                == #"{"id":"e-1","ts_ns":1780629121520000000,"ts":"2026-06-05T03:12:01.520000000Z","zone":null,"#
                + #""strength":64,"battery_mv":null,"lat":44.9931,"temp_c":null,"tamper":true,"maybe":null,"#
                + #""events":["a","b"],"tags":{"depth":"30cm","trail":"north-fork"},"extra":[1,2]}"#)
        let object = try Self.parse(json)
        #expect(object["id"] as? String == "e-1")
        #expect((object["ts_ns"] as? NSNumber)?.int64Value == 1_780_629_121_520_000_000)
        #expect(object["zone"] is NSNull)
        #expect(object["lat"] as? Double == 44.9931)
        #expect(object["events"] as? [String] == ["a", "b"])
        #expect(object["tags"] as? [String: String] == ["trail": "north-fork", "depth": "30cm"])
    }

    @Test("an empty JSONWriter object is {}")
    func empty() {
        #expect(JSONWriter().finish() == "{}")
        #expect(JSONWriter.array([]) == "[]")
        #expect(JSONWriter.object([:]) == "{}")
    }

    @Test("JSONWriter escapes quotes, backslashes and control characters and keeps unicode")
    func escaping() throws {
        let nasty = "say \"hi\" \\ back\nslash\r\ttab \u{01}\u{1F}\u{7F} é 🌲 \u{2028}"
        var w = JSONWriter()
        w.string("note", nasty)
        w.strings("list", [nasty, ""])
        w.object("tags", [nasty: nasty])
        let json = w.finish()
        #expect(
            json.hasPrefix(
                #"{"note":"say \"hi\" \\ back\nslash\r\ttab \u0001\u001f"# + "\u{7F} é 🌲 \u{2028}\""))
        #expect(!json.unicodeScalars.contains { $0.value < 0x20 })
        let object = try Self.parse(json)
        #expect(object["note"] as? String == nasty)
        #expect(object["list"] as? [String] == [nasty, ""])
        #expect(object["tags"] as? [String: String] == [nasty: nasty])
    }

    @Test("JSONWriter output is valid JSON for every control character", arguments: 0..<0x20)
    func everyControlCharacter(value: Int) throws {
        let text = "a" + String(UnicodeScalar(UInt8(value))) + "b"
        var w = JSONWriter()
        w.string("v", text)
        let object = try Self.parse(w.finish())
        #expect(object["v"] as? String == text)
    }
}
