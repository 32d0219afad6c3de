import PicketCore
import PicketStore

/// The box status's JSON (PRODUCT.md section 6, "Box status"), built from
/// what the store and the system say, with no I/O of its own.
public struct StatusDocument: Sendable {
    public var id: String
    public var box: String
    public var sector: String
    public var ts: Int64
    public var version: String
    public var uptimeS: Int64
    public var position: Position?
    public var clockSynced: Bool?
    public var gpsOffsetS: Double?
    public var diskFreeMB: Int64?
    public var dbMB: Double?
    public var outbox: (pending: Int, dead: Int, oldestPendingTs: Int64?)
    public var reportsTaken: [String]
    public var sensors: [SensorHealth]
    /// The health checks configured, to judge each sensor's `healthy`.
    public var health: HealthMonitor.Settings

    public var json: String {
        var w = JSONWriter()
        w.string("type", "status")
        w.string("id", id)
        w.string("box", box)
        w.string("sector", sector)
        w.time("ts", ts)
        w.string("version", version)
        w.int("uptime_s", uptimeS)
        w.position("position", position)
        var clock = JSONWriter()
        clock.bool("synced", clockSynced)
        clock.double("gps_offset_s", gpsOffsetS)
        w.raw("clock", clock.finish())
        w.int("disk_free_mb", diskFreeMB)
        w.double("db_mb", dbMB)
        var o = JSONWriter()
        o.int("pending", outbox.pending)
        o.int("dead", outbox.dead)
        o.time("oldest_pending_ts", outbox.oldestPendingTs)
        w.raw("outbox", o.finish())
        w.strings("reports_taken", reportsTaken)
        w.raw("sensors", "[" + sensors.map(sensorJSON).joined(separator: ",") + "]")
        return w.finish()
    }

    func sensorJSON(_ s: SensorHealth) -> String {
        let problems = Self.problems(s, health: health, now: ts)
        var w = JSONWriter()
        w.string("sensor", s.sensor)
        w.string("kind", s.kind.rawValue)
        w.string("zone", s.zone)
        w.bool("healthy", problems.isEmpty)
        w.string("detail", problems.isEmpty ? nil : problems.joined(separator: "; "))
        w.time("last_event_ts", s.lastEventTs)
        w.time("last_heartbeat_ts", s.lastHeartbeatTs)
        w.int("battery_mv", s.batteryMv)
        w.bool("tamper", s.tamper)
        return w.finish()
    }

    /// What is wrong with a sensor: its driver's source (a GPIO line, a
    /// serial port), its tamper switch, and where `health:` sets them, its
    /// battery and its heartbeat.
    static func problems(_ s: SensorHealth, health: HealthMonitor.Settings, now: Int64) -> [String] {
        var out: [String] = []
        if s.driverHealthy == false { out.append(s.driverDetail ?? "source unhealthy") }
        if s.tamper == true { out.append("tamper switch open") }
        if let minimum = health.batteryMinMv, let battery = s.batteryMv, battery < minimum {
            out.append("battery low: \(battery) mV")
        }
        if let timeout = health.heartbeatTimeoutNs, let last = s.lastHeartbeatTs, now - last > timeout {
            out.append("no heartbeat for \((now - last) / 1_000_000_000) s")
        }
        return out
    }
}
