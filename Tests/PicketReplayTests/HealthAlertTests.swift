import Foundation
import PicketTestSupport
import Testing

/// Health alerts end to end through the real binary: a recording's
/// heartbeats (tamper, a flat battery) and a sensor that falls silent
/// become alerts like any rule's, with `health.*` rule names.
@Suite struct HealthAlertTests {
    static func pgss(_ body: String) -> String {
        String(decoding: nmeaSentence(body), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\\r\\n")
    }

    @Test func heartbeatsAndSilenceBecomeAlerts() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("health.yaml")
        try """
        box: health-box
        sector: test
        site: {lat: 44.99, lon: -73.11}
        serial:
          - {port: /dev/ttyUSB0}
        sensors:
          - {id: seis-7, kind: seismic, zone: north-fork}
          - {id: seis-8, kind: seismic, zone: river-ford}
        health: {heartbeat_timeout_s: 600, battery_min_mv: 3300}

        """.write(to: config, atomically: true, encoding: .utf8)
        let s: Int64 = 1_000_000_000
        let lines = [
            "{\"picket_recording\": 1, \"started_utc\": \"2026-06-05T03:00:00Z\", \"box\": \"health-box\"}",
            "{\"t\": \(1 * s), \"serial\": {\"port\": \"/dev/ttyUSB0\", \"text\": \"\(Self.pgss("PGSS,seis-7,3600,12.0,0"))\"}}",
            "{\"t\": \(10 * s), \"serial\": {\"port\": \"/dev/ttyUSB0\", \"text\": \"\(Self.pgss("PGSS,seis-7,3200,12.0,0"))\"}}",
            "{\"t\": \(20 * s), \"serial\": {\"port\": \"/dev/ttyUSB0\", \"text\": \"\(Self.pgss("PGSS,seis-7,3250,12.0,1"))\"}}",
            "{\"t\": \(30 * s), \"serial\": {\"port\": \"/dev/ttyUSB0\", \"text\": \"\(Self.pgss("PGSS,seis-8,3700,9.5,0"))\"}}",
            "{\"t\": \(1_000 * s), \"serial\": {\"port\": \"/dev/ttyUSB0\", \"text\": \"\(Self.pgss("PGSS,seis-8,3700,9.0,0"))\"}}",
        ]
        let recording = dir.appendingPathComponent("health.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: recording, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("h.db").path
        let replay = try await Support.picket(["replay", recording.path, "--config", config.path, "--db", db])
        #expect(replay.status == 0, "\(replay.err)")
        let alerts = try await Support.picket(["alerts", "--db", db, "--json"]).out.split(separator: "\n")
            .map { try Support.object(String($0)) }
        // seis-8's heartbeat at 1000 s comes 970 s after its last: offline
        // (then back), like seis-7, which never sends again.
        #expect(
            alerts.map { $0["rule"] as? String } == [
                "health.battery", "health.tamper", "health.offline", "health.offline",
            ])
        #expect(alerts.map { $0["severity"] as? String } == ["low", "high", "medium", "medium"])
        #expect(alerts.map { $0["zone"] as? String } == ["north-fork", "north-fork", "north-fork", "river-ford"])
        #expect(alerts[0]["first_ts"] as? String == "2026-06-05T03:00:10.000000000Z")
        #expect((alerts[2]["summary"] as? String)?.hasPrefix("seis-7 offline: no heartbeat for") == true)
        // Heartbeats are not events.
        #expect(try await Support.picket(["events", "--db", db, "--json"]).out.isEmpty)
        #expect(try await Support.picket(["check-config", config.path]).status == 0)
    }
}
