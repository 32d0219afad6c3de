import PicketCore

/// The alerts the sector raises itself about its boxes. Ids are made from
/// the outage, so the same outage can never be stored twice even if two
/// processes tried.
public enum SectorAlerts {
    public static let offlineRule = "box.offline"
    public static let onlineRule = "box.online"

    /// `box.offline` for a box whose last status arrived at `lastStatusTs`.
    public static func offline(box: String, lastStatusTs: Int64, at ts: Int64) -> SectorAlertRecord {
        let summary = "box \(box) is offline: no status since \(UTCTime.format(lastStatusTs))"
        var w = JSONWriter()
        w.string("type", offlineRule)
        w.string("box", box)
        w.time("last_status_ts", lastStatusTs)
        w.time("ts", ts)
        w.string("summary", summary)
        return SectorAlertRecord(
            id: "\(offlineRule).\(box).\(lastStatusTs)", source: .sector, box: box, format: "sector",
            rule: offlineRule, severity: "high", firstTs: ts, lastTs: ts, summary: summary, receivedTs: ts,
            body: w.finish())
    }

    /// `box.online` for a box whose status arrived again at `ts`.
    public static func online(box: String, at ts: Int64) -> SectorAlertRecord {
        let summary = "box \(box) is back online"
        var w = JSONWriter()
        w.string("type", onlineRule)
        w.string("box", box)
        w.time("ts", ts)
        w.string("summary", summary)
        return SectorAlertRecord(
            id: "\(onlineRule).\(box).\(ts)", source: .sector, box: box, format: "sector", rule: onlineRule,
            severity: "low", firstTs: ts, lastTs: ts, summary: summary, receivedTs: ts, body: w.finish())
    }
}
