import PicketCore
import PicketStore

/// The lines of `picket sensors --json` after the sensors: what the text view
/// shows below its table, each fact under a stable key. Each line's first
/// key says what it describes: `sensor` (one per sensor, before these),
/// `serial_port` (a live serial port's health and ring drops, one per port),
/// `box_position` (the box's last GPS fix) and `clock` (the system clock
/// against GPS); the last two only once known.
extension SensorsCommand {
    static func boxJSONLines(_ store: Store) throws -> [String] {
        var lines: [String] = []
        let drops = try store.sourceDrops()
        for source in try store.sources() where source.sensors.isEmpty {
            lines.append(portJSON(source, ringDrops: drops[source.source] ?? 0))
        }
        if let fix = try store.boxFix() {
            var w = JSONWriter()
            w.position("box_position", fix.position)
            w.time("ts", fix.ts)
            w.int("ts_ns", fix.ts)
            lines.append(w.finish())
        }
        if let clock = try store.clockOffset() { lines.append(clockJSON(clock)) }
        return lines
    }

    /// `{"serial_port": "/dev/radio", "healthy": false, "detail": ..., "since_ts": ..., "ts": ..., "ring_drops": 4}`:
    /// `since_ts` when it entered its state, `ts` when it was last reported.
    static func portJSON(_ source: SourceHealth, ringDrops: Int) -> String {
        var w = JSONWriter()
        w.string("serial_port", source.source)
        w.bool("healthy", source.healthy)
        w.string("detail", source.detail)
        w.time("since_ts", source.sinceTs)
        w.time("ts", source.ts)
        w.int("ring_drops", ringDrops)
        return w.finish()
    }

    /// `{"clock": "system clock is 10 s ahead of GPS", "offset_s": 10.0, "offset_ns": ..., "ts": ...}`;
    /// positive offsets: the system clock is ahead.
    static func clockJSON(_ clock: ClockOffset) -> String {
        var w = JSONWriter()
        w.string("clock", clock.sentence)
        w.double("offset_s", clock.seconds)
        w.int("offset_ns", clock.offsetNs)
        w.time("ts", clock.ts)
        w.int("ts_ns", clock.ts)
        return w.finish()
    }
}
