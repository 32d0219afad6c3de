import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

/// `picket sensors --json` carries every fact the text view shows (issue
/// 10): the serial ports' health and ring drops, the box's position and the
/// clock, each line's first key saying what it describes.
@Suite struct SensorsJSONTests {
    @Test func serialPortHealthDropsPositionAndClockAreInTheJSON() async throws {
        let dir = try Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("s.db").path
        let t0: Int64 = 1_780_000_000_000_000_000
        let s: Int64 = 1_000_000_000
        let store = try Store(path: db)
        try store.beginRun(
            id: "live:1", mode: "live", startedTs: t0, input: nil,
            sensors: [SensorConfig(id: "pir-1", kind: .pir), SensorConfig(id: "seis-7", kind: .seismic)])
        var batch = StoreBatch(
            fix: (Position(lat: 44.123456789, lon: -73.5), t0 + 2 * s),
            counters: ["ring_drops./dev/radio": 4, "ring_drops.gpiochip0:17": 1])
        batch.clockOffset = ClockOffset(offsetNs: 10 * s, ts: t0 + 3 * s)
        batch.sourceReports = [
            ("gpiochip0:17", ["pir-1"], true, "requested", t0),
            ("/dev/radio", [], true, "open", t0),
            ("/dev/radio", [], false, "/dev/radio: no such device", t0 + s),
            ("/dev/gps", [], true, "open", t0),
        ]
        try store.write(batch, run: "live:1", now: t0 + 3 * s)

        let text = try await Support.picket(["sensors", "--db", db])
        #expect(text.status == 0, "\(text.err)")
        let since = UTCTime.format(t0 + s)
        #expect(
            text.out.contains(
                "source /dev/radio: UNHEALTHY since \(since): /dev/radio: no such device; 4 inputs dropped (ring full)"),
            "\(text.out)")
        #expect(text.out.contains("source /dev/gps: ok\n"), "\(text.out)")
        #expect(text.out.contains("box position 44.123457, -73.500000"), "\(text.out)")
        #expect(text.out.contains("clock: system clock is 10 s ahead of GPS"), "\(text.out)")

        let result = try await Support.picket(["sensors", "--db", db, "--json"])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n").map(String.init)
        let objects = try lines.map(Support.object)
        // Sensors first, one line each, as before.
        #expect(objects.prefix(2).map { $0["sensor"] as? String } == ["pir-1", "seis-7"])
        let ports = objects.filter { $0["serial_port"] != nil }
        #expect(ports.map { $0["serial_port"] as? String } == ["/dev/gps", "/dev/radio"])
        let radio = try #require(ports.last)
        #expect(radio["healthy"] as? Bool == false)
        #expect(radio["detail"] as? String == "/dev/radio: no such device")
        #expect(radio["since_ts"] as? String == since)
        #expect(radio["ring_drops"] as? Int == 4)
        #expect(ports.first?["healthy"] as? Bool == true)
        #expect(ports.first?["ring_drops"] as? Int == 0)
        // Each line's first key says what it is.
        #expect(lines.contains { $0.hasPrefix("{\"serial_port\":\"/dev/radio\"") })
        let fix = try #require(objects.first { $0["box_position"] != nil }, "\(result.out)")
        let position = try #require(fix["box_position"] as? [String: Any])
        #expect(position["lat"] as? Double == 44.123456789)
        #expect(position["lon"] as? Double == -73.5)
        #expect(fix["ts"] as? String == UTCTime.format(t0 + 2 * s))
        let clock = try #require(objects.first { $0["clock"] != nil }, "\(result.out)")
        #expect(clock["clock"] as? String == "system clock is 10 s ahead of GPS")
        #expect(clock["offset_s"] as? Double == 10)
        #expect(clock["offset_ns"] as? Int == Int(10 * s))
        #expect(clock["ts"] as? String == UTCTime.format(t0 + 3 * s))
        #expect(objects.count == 2 + 2 + 2, "\(result.out)")
    }
}
