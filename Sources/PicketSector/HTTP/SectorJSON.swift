import PicketCore

/// The JSON the sector answers operators with (`GET /v1/alerts`, `GET
/// /v1/boxes`): PRODUCT.md's field names, times as RFC 3339 with nine
/// digits and an integer `_ns` beside them.
public enum SectorJSON {
    /// One alert; `sector` names this sector where the alert names none
    /// (the sector's own alerts, and alerts stored before it was kept).
    public static func alert(_ a: SectorAlertRecord, sector: String) -> String {
        var w = JSONWriter()
        w.string("id", a.id)
        w.string("source", a.source.rawValue)
        w.string("box", a.box)
        w.string("sector", a.sector ?? sector)
        w.string("format", a.format)
        w.string("rule", a.rule)
        w.string("severity", a.severity)
        w.string("zone", a.zone)
        w.time("first_ts", a.firstTs)
        w.time("last_ts", a.lastTs)
        w.string("direction", a.direction)
        w.strings("events", a.events)
        w.double("lat", a.lat)
        w.double("lon", a.lon)
        w.string("summary", a.summary)
        w.time("received_ts", a.receivedTs)
        w.int("received_ts_ns", a.receivedTs)
        w.string("acknowledged_by", a.acknowledgedBy)
        w.time("acknowledged_ts", a.acknowledgedTs)
        // The body as the box posted it (JSON or CAP XML), as a string.
        w.string("body", a.body)
        return w.finish()
    }

    public static func box(_ b: BoxRecord) -> String {
        var w = JSONWriter()
        w.string("box", b.box)
        w.bool("offline", b.offline)
        w.time("offline_changed_ts", b.offlineChangedTs)
        w.time("last_status_ts", b.lastStatusTs)
        w.int("clock_offset_s", b.clockOffsetS)
        w.bool("clock_wrong", b.clockWrong)
        w.time("clock_checked_ts", b.clockCheckedTs)
        // Checked to be a JSON object when it was stored.
        w.raw("status", b.lastStatus ?? "null")
        return w.finish()
    }

    /// `{"<name>": [a, b, ...]}`.
    static func list(_ name: String, _ items: [String]) -> String {
        "{\"\(name)\":[" + items.joined(separator: ",") + "]}"
    }
}
