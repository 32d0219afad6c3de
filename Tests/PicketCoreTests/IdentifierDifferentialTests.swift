import Crypto
import Testing

@testable import PicketCore

/// Ids and JSON strings are made without intermediate arrays and strings
/// (issue 11). These tests hold the new code to the old algorithms, kept
/// here as references, over many random inputs: every stored id and every
/// stored JSON text must stay byte for byte what it was.
@Suite("Identifier and JSON differential")
struct IdentifierDifferentialTests {
    /// The id algorithm as it was: SHA-256 over each part's length (32 bits,
    /// little endian) and `Array(part.utf8)`, first 16 bytes, time and
    /// version bits set, formatted byte by byte.
    static func referenceUUID(_ parts: [String], ts: Int64? = nil) -> String {
        var hasher = SHA256()
        for part in parts {
            var length = UInt32(part.utf8.count).littleEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: Array(part.utf8))
        }
        var bytes = Array(hasher.finalize().prefix(16))
        if let ts {
            let ms = UInt64(clamping: max(0, ts / 1_000_000))
            for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * i)) }
            bytes[6] = (bytes[6] & 0x0F) | 0x70
        } else {
            bytes[6] = (bytes[6] & 0x0F) | 0x80
        }
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(45) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `JSONWriter.appendQuoted` as it was: scalar by scalar.
    static func referenceQuoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// SplitMix64: the same inputs on every run, so a failure can be replayed.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Empty, short, just under and past the id message's 512-byte stack
    /// buffer, with ASCII, JSON specials, control characters and multi-byte
    /// scalars; some are small strings, some native, one bridged-like slice.
    static func text(_ random: inout Random) -> String {
        let lengths = [0, 1, 5, 15, 16, 36, 100, 300, 505, 511, 512, 513, 700, 1500]
        let count = lengths.randomElement(using: &random)! + Int.random(in: 0...3, using: &random)
        let alphabet: [Unicode.Scalar] = [
            "a", "z", "0", "-", "_", " ", "\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "\u{7F}", "é", "ß",
            "漢", "🌲", "\u{202E}", "\u{FEFF}",
        ]
        var s = ""
        for _ in 0..<count {
            // Mostly plain letters, like real names and ids.
            if Int.random(in: 0..<4, using: &random) > 0 {
                s.unicodeScalars.append(alphabet[Int.random(in: 0..<6, using: &random)])
            } else {
                s.unicodeScalars.append(alphabet.randomElement(using: &random)!)
            }
        }
        return s
    }

    static func timestamp(_ random: inout Random) -> Int64 {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: [Int64.min, Int64.max, 0, -1, 1, -999_999, 1_000_000].randomElement(using: &random)!
        case 1: Int64.random(in: Int64.min...Int64.max, using: &random)
        default: Int64.random(in: 0...4_000_000_000_000_000_000, using: &random)
        }
    }

    @Test("event ids: the same as the old algorithm for 3000 random inputs")
    func eventIDs() {
        var random = Random(state: 11)
        for _ in 0..<3000 {
            let box = Self.text(&random)
            let sensor = Self.text(&random)
            let source = [EventSource.gpio, .serial, .report].randomElement(using: &random)!
            let state = [EventState.active, .inactive].randomElement(using: &random)!
            let ts = Self.timestamp(&random)
            let ordinal =
                Bool.random(using: &random)
                ? Int.random(in: 0...3, using: &random) : Int.random(in: 0...Int.max, using: &random)
            let id = Identifier.event(box: box, sensor: sensor, source: source, state: state, ts: ts, ordinal: ordinal)
            let reference = Self.referenceUUID(
                ["event", box, sensor, source.rawValue, state.rawValue, String(ts), String(ordinal)], ts: ts)
            #expect(id == reference, "box \(box.debugDescription) sensor \(sensor.debugDescription) ts \(ts)")
        }
    }

    @Test("alert, report and text ids, and any list of parts: the same as the old algorithm")
    func otherIDs() {
        var random = Random(state: 12)
        for _ in 0..<1500 {
            let box = Self.text(&random)
            let rule = Self.text(&random)
            let zone: String? = Bool.random(using: &random) ? Self.text(&random) : nil
            let events = (0..<Int.random(in: 0...6, using: &random)).map { _ in Self.text(&random) }
            let ts = Self.timestamp(&random)
            #expect(
                Identifier.alert(box: box, rule: rule, zone: zone, events: events, ts: ts)
                    == Self.referenceUUID(["alert", box, rule, zone ?? ""] + events, ts: ts))
            let note: String? = Bool.random(using: &random) ? Self.text(&random) : nil
            #expect(
                Identifier.report(box: box, zone: rule, detectionClass: zone, note: note, ts: ts)
                    == Self.referenceUUID(["report", box, rule, zone ?? "", note ?? "", String(ts)], ts: ts))
            #expect(
                Identifier.text(subscriber: box, alerts: events) == Self.referenceUUID(["text", box] + events))
            let parts = (0..<Int.random(in: 0...40, using: &random)).map { _ in Self.text(&random) }
            #expect(Identifier.uuid(parts, ts: ts) == Self.referenceUUID(parts, ts: ts))
            #expect(Identifier.uuid(parts) == Self.referenceUUID(parts))
        }
    }

    @Test("strings made from substrings and slices are hashed by their bytes like any other")
    func nonNativeStrings() {
        let long = String(repeating: "north-fork ", count: 80)
        let slice = String(long.dropFirst(3).prefix(700))
        let fromSubstring = "\(long.dropFirst(1))"
        for part in [slice, fromSubstring, String(Substring("seis-7"))] {
            #expect(Identifier.uuid(["x", part], ts: 5) == Self.referenceUUID(["x", part], ts: 5))
        }
    }

    @Test("JSON strings: quoting whole strings gives what quoting scalar by scalar gave")
    func quotedStrings() {
        var random = Random(state: 13)
        for _ in 0..<3000 {
            let value = Self.text(&random)
            var out = "["
            JSONWriter.appendQuoted(value, to: &out)
            #expect(out == "[" + Self.referenceQuoted(value), "\(value.debugDescription)")
        }
        let values = (0..<50).map { _ in Self.text(&random) }
        #expect(JSONWriter.array(values) == "[" + values.map(Self.referenceQuoted).joined(separator: ",") + "]")
        #expect(JSONWriter.array([]) == "[]")
    }
}
