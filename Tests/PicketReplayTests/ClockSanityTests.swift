import Foundation
import PicketTestSupport
import Testing

/// The system clock against GPS time through the real binary: a recording
/// whose RMC times lag its own clock (`started_utc + t`) by 10 s raises
/// `health.clock` once, and `picket sensors` says how far off the clock is.
@Suite struct ClockSanityTests {
    static func serial(_ t: Int64, _ body: String) -> String {
        let text = String(decoding: nmeaSentence(body), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\\r\\n")
        return "{\"t\": \(t), \"serial\": {\"port\": \"/dev/ttyUSB0\", \"text\": \"\(text)\"}}"
    }

    @Test func anRMCBehindTheSystemClockRaisesHealthClockOnce() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("clock.yaml")
        try """
        box: clock-box
        sector: test
        site: {lat: 44.99, lon: -73.11}
        serial:
          - {port: /dev/ttyUSB0}
        sensors:
          - {id: seis-7, kind: seismic, zone: north-fork}
        health: {clock_max_offset_s: 5}

        """.write(to: config, atomically: true, encoding: .utf8)
        let s: Int64 = 1_000_000_000
        // The recording's clock says 03:00:01, 03:00:02, ...; the GPS says 10 s earlier.
        let lines = [
            "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:00:00Z\", \"box\": \"clock-box\"}",
            Self.serial(1 * s, "GPRMC,025951.00,A,4459.5500,N,07306.6000,W,0.0,0.0,050626,,"),
            Self.serial(2 * s, "GPRMC,025952.00,A,4459.5500,N,07306.6000,W,0.0,0.0,050626,,"),
            Self.serial(3 * s, "GPRMC,025953.00,A,4459.5500,N,07306.6000,W,0.0,0.0,050626,,"),
        ]
        let recording = dir.appendingPathComponent("clock.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: recording, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("c.db").path
        let replay = try await Support.picket(["replay", recording.path, "--config", config.path, "--db", db])
        #expect(replay.status == 0, "\(replay.err)")
        let alerts = try await Support.picket(["alerts", "--db", db, "--json"]).out.split(separator: "\n")
            .map { try Support.object(String($0)) }
        #expect(alerts.map { $0["rule"] as? String } == ["health.clock"])
        #expect(alerts.first?["first_ts"] as? String == "2026-06-05T03:00:01.000000000Z")
        #expect(alerts.first?["summary"] as? String == "clock: system clock is 10 s ahead of GPS (limit 5.0 s)")

        let sensors = try await Support.picket(["sensors", "--db", db])
        #expect(sensors.status == 0, "\(sensors.err)")
        #expect(sensors.out.contains("clock: system clock is 10 s ahead of GPS (at 2026-06-05T03:00:03.000000000Z)"))
        // The JSON lines stay one sensor each (PRODUCT.md section 8).
        let json = try await Support.picket(["sensors", "--db", db, "--json"]).out.split(separator: "\n")
        #expect(!json.isEmpty)
        for line in json { #expect(try Support.object(String(line))["sensor"] is String) }

        // A replay of the same recording gives the same.
        let again = dir.appendingPathComponent("c2.db").path
        #expect(
            try await Support.picket(["replay", recording.path, "--config", config.path, "--db", again]).status == 0)
        let second = try await Support.picket(["alerts", "--db", again, "--json"]).out
        #expect(second == (try await Support.picket(["alerts", "--db", db, "--json"]).out))
    }
}
