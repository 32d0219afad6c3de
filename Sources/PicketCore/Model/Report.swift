/// A sighting a landowner phoned in to the hotline, as an operator enters it
/// with `picket report` (PRODUCT.md sections 7 and 8).
///
/// A report is stored as an event of the pseudo-sensor `report`: kind
/// `unknown`, source `report`, state `active`, its own episode. So it is
/// listed like any event, and it takes part in rules only where a `sequence`
/// names `report`: no `all_of` can list the kind `unknown`, and no sensor
/// configures a severity for `report`, so a report never raises a
/// `detection` alert of its own.
public enum Report {
    /// The sensor name of every report, and the name a `sequence` rule uses
    /// for reports; no configured sensor may have it.
    public static let sensor = "report"

    /// The event a report is stored as. `position` is the box's: the caller
    /// knows no better place for what a landowner saw in a zone.
    public static func event(
        box: String, sector: String, zone: String, detectionClass: DetectionClass?, note: String?, ts: Int64,
        position: Position?
    ) -> Event {
        let id = Identifier.report(
            box: box, zone: zone, detectionClass: detectionClass?.rawValue, note: note, ts: ts)
        return Event(
            id: id, box: box, sector: sector, sensor: sensor, kind: .unknown, zone: zone, source: .report,
            state: .active, ts: ts, episode: id, detectionClass: detectionClass?.rawValue, position: position,
            note: note)
    }
}
