import Foundation
import PicketTestSupport
import Testing

/// Recordings the reader used to take or misname (issue 10): a `started_utc`
/// that is a valid RFC 3339 time but outside what picket can hold, base64
/// that Foundation tolerates, and a key given twice in one line. The real
/// binary refuses each with exit 65, naming the file and line.
@Suite struct RecordingStrictnessTests {
    let config = Support.recordings.appendingPathComponent("trail-crossing.yaml").path

    func replay(_ text: String) async throws -> (ProcessOutput, String) {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("rec.jsonl")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try await Support.picket([
            "replay", file.path, "--config", config, "--db", dir.appendingPathComponent("x.db").path,
        ])
        return (result, file.path)
    }

    @Test("a started_utc that parses but is past 2262 says it is out of range")
    func startedOutOfRange() async throws {
        for started in ["9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"] {
            let (result, path) = try await replay(
                "{\"picket_recording\": 1, \"started_utc\": \"\(started)\", \"box\": \"b\"}\n")
            #expect(result.status == 65, "\(result.err)")
            #expect(result.err.contains("\(path):1: \"started_utc\" is out of range: \(started)"), "\(result.err)")
            #expect(!result.err.contains("is not an RFC 3339 time"), "\(result.err)")
        }
        let (garbage, path) = try await replay(
            "{\"picket_recording\": 1, \"started_utc\": \"yesterday\", \"box\": \"b\"}\n")
        #expect(garbage.status == 65)
        #expect(garbage.err.contains("\(path):1: \"started_utc\" is not an RFC 3339 time: yesterday"))
    }

    @Test("base64 is strict: bad padding, stray characters and set padding bits are refused by line")
    func strictBase64() async throws {
        let header = "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:12:00Z\", \"box\": \"b\"}\n"
        func line(_ t: Int, _ b64: String) -> String {
            "{\"t\": \(t), \"serial\": {\"port\": \"/dev/ttyUSB0\", \"b64\": \"\(b64)\"}}\n"
        }
        let bad = ["a===", "QQ", "QQ=", "Q===", "QR==", "QUJD\\nRA==", "QU JD", "QUJ-", "=QUJ", "QQ==QUJD"]
        var text = header
        for (n, b64) in bad.enumerated() { text += line(n + 1, b64) }
        text += line(100, "JEdQR0dBKjAwDQo=") + line(101, "QUI=")
        let (result, path) = try await replay(text)
        #expect(result.status == 65, "\(result.err)")
        for n in bad.indices {
            #expect(result.err.contains("\(path):\(n + 2): \"serial.b64\" is not valid base64"), "\(bad[n])")
        }
        // The valid lines after them are not named.
        for n in (bad.count + 2)...(bad.count + 3) { #expect(!result.err.contains("\(path):\(n):")) }
    }

    @Test("a key given twice in one line is refused, naming file, line and key")
    func duplicatedKey() async throws {
        let (result, path) = try await replay(
            """
            {"picket_recording": 1, "started_utc": "2026-06-05T03:12:00Z", "box": "b"}
            {"t": 1000, "t": 5, "gpio": {"chip": "gpiochip0", "line": 17, "edge": "rising"}}
            {"t": 2000, "gpio": {"chip": "gpiochip0", "line": 17, "edge": "rising", "edge": "falling"}}

            """)
        #expect(result.status == 65, "\(result.err)")
        #expect(result.err.contains("\(path):2: not valid JSON: duplicated key \"t\""), "\(result.err)")
        #expect(result.err.contains("\(path):3: not valid JSON: duplicated key \"edge\""), "\(result.err)")
        let (header, headerPath) = try await replay(
            "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:12:00Z\", \"box\": \"a\", \"box\": \"b\"}\n")
        #expect(header.status == 65)
        #expect(
            header.err.contains("\(headerPath):1: header is not valid JSON: duplicated key \"box\""), "\(header.err)")
    }
}
