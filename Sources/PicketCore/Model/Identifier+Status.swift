extension Identifier {
    /// A box status: the box and when it was made.
    public static func status(box: String, ts: Int64) -> String {
        uuid(["status", box, String(ts)])
    }

    /// A report the sector handed over, by the sector's id: the same report
    /// in two answers is one event.
    public static func sectorReport(box: String, sectorID: String) -> String {
        uuid(["sector-report", box, sectorID])
    }
}
