import Foundation
import PicketCore
import PicketStore

/// The text view of `picket sensors`: a table that fits 120 columns for the
/// usual names (times to the minute, a driver's detail below the table
/// rather than in it), then the sources, the box's GPS position (6 decimals,
/// about 10 cm) and the clock. `--json` has every field in full, and the
/// sources, position and clock as lines of their own (SensorsCommand+JSON).
extension SensorsCommand {
    static func printText(_ store: Store, _ sensors: [SensorHealth]) throws {
        var table = Table(
            "SENSOR", "KIND", "ZONE", "LAST_EVENT", "LAST_HEARTBEAT", "BATT_MV", "TEMP_C", "TAMPER", "DUP", "LOST",
            "GLITCH", "STATUS")
        var notes: [String] = []
        for s in sensors {
            let status = s.driverHealthy.map { $0 ? "ok" : "UNHEALTHY" } ?? "-"
            if s.driverHealthy == false { notes.append("\(s.sensor): UNHEALTHY: \(s.driverDetail ?? "")") }
            if s.lastEventClockSynced == false { notes.append("\(s.sensor): last event: clock not synchronised") }
            table.add([
                s.sensor, s.kind.rawValue, s.zone ?? "-", s.lastEventTs.map(minute) ?? "-",
                s.lastHeartbeatTs.map(minute) ?? "-", s.batteryMv.map(String.init) ?? "-",
                s.tempC.map { String(format: "%.1f", $0) } ?? "-", s.tamper.map { $0 ? "yes" : "no" } ?? "-",
                String(s.duplicates), String(s.lost), String(s.glitches), status,
            ])
        }
        table.print()
        for note in notes { Console.out(note) }
        let drops = try store.sourceDrops()
        for source in try store.sources() where source.sensors.isEmpty {
            let dropped = drops[source.source] ?? 0
            Console.out(
                "source \(source.source): "
                    + (source.healthy ? "ok" : "UNHEALTHY since \(UTCTime.format(source.sinceTs)): \(source.detail)")
                    + (dropped > 0 ? "; \(dropped) input\(dropped == 1 ? "" : "s") dropped (ring full)" : ""))
        }
        if let fix = try store.boxFix() {
            Console.out("box position \(coordinates(fix.position)) (GPS fix at \(UTCTime.format(fix.ts)))")
        }
        if let clock = try store.clockOffset() {
            Console.out("clock: \(clock.sentence) (at \(UTCTime.format(clock.ts)))")
        }
    }

    /// `2026-06-05 03:13Z`: UTC to the minute, 17 columns instead of 30.
    static func minute(_ ns: Int64) -> String {
        let full = UTCTime.format(ns)  // 2026-06-05T03:13:10.000000000Z
        guard full.count >= 16 else { return full }
        return full.prefix(10) + " " + full.dropFirst(11).prefix(5) + "Z"
    }

    /// Latitude and longitude rounded to 6 decimals (about 10 cm).
    static func coordinates(_ p: Position) -> String {
        String(format: "%.6f, %.6f", p.lat, p.lon)
    }
}
