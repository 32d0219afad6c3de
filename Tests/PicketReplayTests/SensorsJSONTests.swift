import Foundation
import PicketCore
import PicketStore
import PicketTestSupport
import Testing

/// `picket sensors` shows the serial ports' health and ring drops, the box's
/// position and the clock below its table; `--json` stays one sensor object
/// a line (PRODUCT.md section 8), a sensor on a live port carrying its
/// `source` and `ring_drops`.
@Suite struct SensorsJSONTests {
    @Test func portsPositionAndClockInTheTextAndOnlySensorsInTheJSON() async throws {
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
        // One sensor a line, and nothing but sensors.
        #expect(objects.map { $0["sensor"] as? String } == ["pir-1", "seis-7"], "\(result.out)")
        #expect(lines.allSatisfy { $0.hasPrefix("{\"sensor\":") }, "\(result.out)")
    }
}
