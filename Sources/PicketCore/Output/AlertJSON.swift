/// An alert as JSON, with PRODUCT.md's field names: what `picket alerts
/// --json` prints and the body the sector endpoint receives.
public enum AlertJSON {
    /// Writes the alert's fields into `w` (the caller may add more and finish).
    public static func write(_ a: Alert, into w: inout JSONWriter) {
        w.string("id", a.id)
        w.string("rule", a.rule)
        w.string("severity", a.severity.rawValue)
        w.string("box", a.box)
        w.string("sector", a.sector)
        w.string("zone", a.zone)
        w.time("first_ts", a.firstTs)
        w.int("first_ts_ns", a.firstTs)
        w.time("last_ts", a.lastTs)
        w.int("last_ts_ns", a.lastTs)
        w.string("direction", a.direction)
        w.strings("events", a.events)
        // The position twice: `lat`/`lon` as events have them, and the
        // `position` that PRODUCT.md section 5 names, as an object.
        w.double("lat", a.position?.lat)
        w.double("lon", a.position?.lon)
        w.position("position", a.position)
        w.string("summary", a.summary)
    }

    public static func object(_ a: Alert) -> String {
        var w = JSONWriter()
        write(a, into: &w)
        return w.finish()
    }
}
